"""Version conversion: HPAs are stored as autoscaling/v2 and served as v1 too (`kubectl autoscale`).

v1 keeps one CPU target (`spec.targetCPUUtilizationPercentage`); v2 says the same as a Resource metric.
The v2-only parts (other metrics, behavior, conditions) are left out of v1 objects, and an update
through v1 keeps the stored object's non-CPU metrics and status.
"""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]
V1, V2 = "autoscaling/v1", "autoscaling/v2"


def _cpu_metric(percent: int) -> Obj:
    return {"type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": percent}}}  # fmt: skip


def _is_cpu(metric: Obj) -> bool:
    return metric.get("type") == "Resource" and (metric.get("resource") or {}).get("name") == "cpu"


def hpa_to_v2(obj: Any, stored: Obj | None = None) -> Any:
    """A v1 HPA body (create/update) as v2; `stored` keeps the current object's non-CPU metrics."""
    if not isinstance(obj, dict) or obj.get("apiVersion") not in (V1, None):
        return obj
    new = copy.deepcopy(obj)
    new["apiVersion"] = V2
    spec = new.setdefault("spec", {})
    percent = spec.pop("targetCPUUtilizationPercentage", None)
    kept = [m for m in ((stored or {}).get("spec") or {}).get("metrics", []) if not _is_cpu(m)]
    spec["metrics"] = ([_cpu_metric(int(percent))] if percent is not None else []) + kept
    if not spec["metrics"] and stored is None:
        spec["metrics"] = [_cpu_metric(80)]  # the v1 default target
    status = new.pop("status", None)
    if isinstance(status, dict) and stored is not None:
        new["status"] = (stored or {}).get("status", {})
    return new


def hpa_to_v1(obj: Obj) -> Obj:
    """A stored v2 HPA as v1."""
    if obj.get("kind") != "HorizontalPodAutoscaler":
        return obj
    new = copy.deepcopy(obj)
    new["apiVersion"] = V1
    spec = new.setdefault("spec", {})
    cpu = next((m for m in spec.pop("metrics", None) or [] if _is_cpu(m)), None)
    if cpu is not None:
        target = (cpu["resource"].get("target") or {}).get("averageUtilization")
        if target is not None:
            spec["targetCPUUtilizationPercentage"] = target
    spec.pop("behavior", None)
    status = new.get("status") or {}
    v1_status: Obj = {
        k: status[k] for k in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")
        if k in status
    }  # fmt: skip
    v1_status.setdefault("currentReplicas", 0)
    v1_status.setdefault("desiredReplicas", 0)
    for metric in status.get("currentMetrics") or []:
        if _is_cpu(metric):
            current = (metric["resource"].get("current") or {}).get("averageUtilization")
            if current is not None:
                v1_status["currentCPUUtilizationPercentage"] = current
    new["status"] = v1_status
    return new
