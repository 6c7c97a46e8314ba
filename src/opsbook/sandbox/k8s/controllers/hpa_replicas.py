"""The HPA's replica calculation for a Resource metric with a Utilization target, as kube-controller-manager
computes it (pkg/controller/podautoscaler/replica_calculator.go), from the pods' metrics.k8s.io usage:

- no PodMetrics for the target's pods: "no metrics returned from resource metrics API"; no pods at all, or
  none Ready with metrics: the controller's own words for those;
- a container without a request for the resource: "missing request for cpu in container C of Pod P"
  (the HPA can never compute a utilisation: the guide's `payments`);
- utilisation = int(sum(usage) * 100 / sum(requests)) over the Ready pods with metrics; ratio = utilisation /
  target; within the 10 % tolerance the count stays, else desired = ceil(ratio * those pods);
- pods without metrics count as using their full request when scaling down and nothing when scaling up,
  not-Ready pods as nothing when scaling up; a rebalanced ratio that flips direction keeps the count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from opsbook.sandbox.k8s.controllers.common import Obj, cpu_millis, memory_bytes, meta, pod_ready, terminating
from opsbook.sandbox.k8s.controllers.podmetrics import POD_METRICS
from opsbook.sandbox.k8s.selectors import selector_string
from opsbook.sandbox.k8s.store import ClusterStore

TOLERANCE = 0.1


class MetricError(Exception):
    """A metric could not give a replica count: the condition's reason and the controller's message."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Proposal:
    replicas: int
    utilization: int  # percent of request
    average_m: int  # average use per pod, in milli-units (millicores or milli-bytes)
    status: Obj  # the metric's entry in status.currentMetrics


def _amount(resource: str, value: object) -> int:
    """A quantity in milli-units: cpu "250m" -> 250, memory "1Mi" -> 1048576000."""
    return cpu_millis(value) if resource == "cpu" else memory_bytes(value) * 1000


def _quantity(resource: str, milli: int) -> str:
    if resource == "cpu":
        return f"{milli}m"
    return f"{milli // 1000}" if milli % 1000 == 0 else f"{milli}m"


def _ratio(used: dict[str, int], requests: dict[str, int], target: int) -> tuple[float, int, int]:
    total_used = sum(used.values())
    total_request = sum(requests[name] for name in used)
    utilization = total_used * 100 // total_request if total_request else 0
    return utilization / target, utilization, total_used // max(len(used), 1)


def _requests(pods: list[Obj], resource: str) -> dict[str, int]:
    out = {}
    for pod in pods:
        total = 0
        for c in (pod.get("spec") or {}).get("containers") or []:
            request = ((c.get("resources") or {}).get("requests") or {}).get(resource)
            if request is None:
                raise MetricError(
                    "FailedGetResourceMetric",
                    f"failed to get {resource} utilization: missing request for {resource} in container "
                    f"{c.get('name')} of Pod {meta(pod)['name']}",
                )
            total += _amount(resource, request)
        out[meta(pod)["name"]] = total
    return out


def target_pods(store: ClusterStore, namespace: str, target: Obj) -> list[Obj]:
    labels = (((target.get("spec") or {}).get("selector") or {}).get("matchLabels")) or {}
    return store.list("pods", namespace, selector_string(labels)) if labels else []


def resource_replicas(store: ClusterStore, namespace: str, pods: list[Obj], resource: str, target: int,
                      current: int) -> Proposal:  # fmt: skip
    """The replica count one Resource/Utilization metric asks for, or MetricError."""
    fail = f"failed to get {resource} utilization"
    have = {meta(m)["name"]: m for m in store.list(POD_METRICS, namespace)}
    usage = {
        meta(p)["name"]: sum(_amount(resource, (c.get("usage") or {}).get(resource)) for c in m.get("containers") or [])
        for p in pods if (m := have.get(meta(p)["name"])) is not None
    }  # fmt: skip
    if not usage:
        raise MetricError("FailedGetResourceMetric", f"{fail}: unable to get metrics for resource {resource}: "
                          "no metrics returned from resource metrics API")  # fmt: skip
    if not pods:
        raise MetricError("FailedGetResourceMetric",
                          f"{fail}: no pods returned by selector while calculating replica count")  # fmt: skip
    missing, unready, ready = [], [], {}
    for pod in pods:
        name = meta(pod)["name"]
        if terminating(pod) or (pod.get("status") or {}).get("phase") == "Failed":
            continue
        if (pod.get("status") or {}).get("phase") == "Pending":
            unready.append(name)
        elif name not in usage:
            missing.append(name)
        elif not pod_ready(pod):
            unready.append(name)
        else:
            ready[name] = usage[name]
    if not ready:
        raise MetricError("FailedGetResourceMetric",
                          f"{fail}: did not receive metrics for targeted pods (pods might be unready)")  # fmt: skip
    requests = _requests(pods, resource)
    ratio, utilization, average = _ratio(ready, requests, target)
    status = {"type": "Resource", "resource": {"name": resource, "current": {
        "averageUtilization": utilization, "averageValue": _quantity(resource, average)}}}  # fmt: skip
    up_with_unready = bool(unready) and ratio > 1.0
    if not up_with_unready and not missing:
        if abs(1.0 - ratio) <= TOLERANCE:
            return Proposal(current, utilization, average, status)
        return Proposal(math.ceil(ratio * len(ready)), utilization, average, status)
    rebalanced = dict(ready)
    for name in missing:
        if ratio < 1.0:
            rebalanced[name] = requests[name] * max(100, target) // 100
        elif ratio > 1.0:
            rebalanced[name] = 0
    if up_with_unready:
        rebalanced.update(dict.fromkeys(unready, 0))
    new_ratio = _ratio(rebalanced, requests, target)[0]
    if abs(1.0 - new_ratio) <= TOLERANCE or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return Proposal(current, utilization, average, status)
    replicas = math.ceil(new_ratio * len(rebalanced))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        replicas = current
    return Proposal(replicas, utilization, average, status)
