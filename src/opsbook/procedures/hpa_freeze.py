"""Freezing an HPA for a maintenance window (guide: Execute Maintenance, "Stop auto-scaling" / "Re-enable
auto-scaling"). The guide's `{"minReplicas":0,"maxReplicas":0}` is refused by a real API server (maxReplicas
must be >= 1; minReplicas 0 needs a feature gate), so opsbook pins min = max = the replicas running now.

Kind `k8s-hpa-freeze`, params `namespace`, `name`, `mode` (freeze | restore) and `from` (min/max the plan saw):
- freeze: one merge patch pins the bounds and writes the originals on the HPA itself, annotation
  `opsbook.io/frozen-from: {"min": 3, "max": 20, "plan": "<hash>"}` (and in the journal). Re-check: done when
  this plan's annotation is there (a freeze killed before it was journaled is not repeated: repeating it would
  record the pinned bounds as the originals); changed when another plan froze it or the bounds moved since
  the plan. Undo: restore.
- restore: one merge patch puts the annotation's bounds back and removes the annotation, so it happens exactly
  once, even in a later apply after a crash. Re-check: eligible while this plan's annotation is there, done when
  it is gone. Undo: freeze again.
"""

from __future__ import annotations

import json
from typing import Any

from opsbook.procedures.k8s_hpa import PATH, spec_of
from opsbook.procedures.kinds import Clients, Live, item_kind, two_way
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.velero import get_or_none

FROZEN = "opsbook.io/frozen-from"


def read(clients: Clients, ns: str, name: str) -> dict[str, Any] | None:
    return get_or_none(clients("k8s"), PATH.format(ns=ns) + f"/{name}")


def frozen_from(hpa: dict[str, Any]) -> dict[str, Any] | None:
    """The annotation's {"min", "max", "plan"}, or None when the HPA is not frozen (or it is unreadable)."""
    text = ((hpa.get("metadata") or {}).get("annotations") or {}).get(FROZEN)
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) and {"min", "max", "plan"} <= value.keys() else None


def running(hpa: dict[str, Any]) -> int:
    """The replicas to pin: what the HPA runs now (at least 1, which a real API server requires)."""
    status = hpa.get("status") or {}
    return max(1, int(status.get("currentReplicas") or (hpa.get("spec") or {}).get("minReplicas") or 1))


def _patch(clients: Clients, ns: str, name: str, low: int, high: int, note: str | None) -> None:
    from kubernetes import client as k8s

    body = {"metadata": {"annotations": {FROZEN: note}}, "spec": {"minReplicas": low, "maxReplicas": high}}
    k8s.AutoscalingV2Api(clients("k8s")).patch_namespaced_horizontal_pod_autoscaler(name, ns, body)


def freeze(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    hpa = read(clients, p["namespace"], p["name"])
    if hpa is None:
        raise RuntimeError(f"HPA {p['namespace']}/{p['name']} is gone")
    mark = frozen_from(hpa)
    if mark is not None:  # frozen already (an undo of a restore after a crash): keep the first originals
        return {"pinned": spec_of(hpa)["min"], "was": {"min": mark["min"], "max": mark["max"]}}
    was, n = spec_of(hpa), running(hpa)
    note = json.dumps({"min": was["min"], "max": was["max"], "plan": clients.plan_hash}, sort_keys=True)
    _patch(clients, p["namespace"], p["name"], n, n, note)
    return {"pinned": n, "was": {"min": was["min"], "max": was["max"]}}


def restore(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    hpa = read(clients, p["namespace"], p["name"])
    mark = frozen_from(hpa) if hpa is not None else None
    if hpa is None or mark is None or mark["plan"] != clients.plan_hash:
        return {"restored": None, "note": "not frozen by this plan: nothing to restore"}
    _patch(clients, p["namespace"], p["name"], int(mark["min"]), int(mark["max"]), None)
    return {"restored": {"min": int(mark["min"]), "max": int(mark["max"])}}


def recheck(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    hpa = read(clients, p["namespace"], p["name"])
    name = f"HPA {p['namespace']}/{p['name']}"
    if hpa is None:
        return Live("changed", f"{name} was deleted since the plan")
    mark, spec = frozen_from(hpa), spec_of(hpa)
    if mark is not None and mark["plan"] != clients.plan_hash:
        return Live("changed", f"{name} was frozen by another plan ({str(mark['plan'])[:19]}...)")
    if p["mode"] == "restore":
        if mark is None:
            return Live("done", f"{name} is not frozen ({spec['min']}-{spec['max']} replicas)")
        return Live(
            "eligible", f"{name}: pinned {spec['min']}-{spec['max']} -> {mark['min']}-{mark['max']} replicas"
        )
    if mark is not None:
        return Live("done", f"{name} is frozen at {spec['min']} replicas (was {mark['min']}-{mark['max']})")
    if (spec["min"], spec["max"]) != (p["from"]["min"], p["from"]["max"]):
        return Live("changed", f"{name} changed since the plan: {p['from']['min']}-{p['from']['max']} -> "
                    f"{spec['min']}-{spec['max']} replicas")  # fmt: skip
    return Live(
        "eligible", f"{name}: pin min = max = {running(hpa)} replicas (now {spec['min']}-{spec['max']})"
    )


act, undo = two_way("mode", "freeze", freeze, restore)


item_kind(
    "k8s-hpa-freeze",
    action="freeze-hpa",
    permissions=("get horizontalpodautoscalers.autoscaling", "patch horizontalpodautoscalers.autoscaling"),
    recheck=recheck,
    act=act,
    undo=undo,
)
