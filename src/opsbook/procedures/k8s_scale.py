"""Kubernetes item kinds for scaling a deployment (guide: Scaling Procedures / Horizontal Scaling):

- `k8s-hpa-bounds`: set an HPA's minReplicas/maxReplicas so it does not undo a manual scale
  (`kubectl patch hpa ...`); undo restores the bounds it found.
- `k8s-deployment-scale`: `kubectl scale deployment NAME --replicas=N`; undo restores the replicas it found.
- wait `deployment-rolled-out`: `kubectl rollout status`: the controller has seen the latest spec
  (observedGeneration) and updated, ready and available replicas all equal the desired count.

`clients("k8s")` is the item's cluster API client (procedures/apply.py TargetClients). Item params:
`namespace`, `name` (the deployment or HPA), `replicas` or `min`/`max`.
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import wait_condition


def _deployment(api: Any, ns: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = api.get_json(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
    return doc


def _hpa(api: Any, ns: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = api.get_json(
        f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/{name}"
    )
    return doc


def _labels(doc: dict[str, Any]) -> dict[str, str]:
    return dict((doc.get("metadata") or {}).get("labels") or {})


# -- kubectl scale deployment -------------------------------------------------------------------------------


def recheck_scale(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    dep = _deployment(clients("k8s"), p["namespace"], p["name"])
    now = int((dep.get("spec") or {}).get("replicas", 1))
    if now == p["replicas"]:
        return Live("done", f"{p['name']} already has {now} replicas", _labels(dep))
    if p.get("from") is not None and now != p["from"]:
        return Live("changed", f"{p['name']} has {now} replicas now, the plan saw {p['from']}", _labels(dep))
    return Live("eligible", f"{p['name']}: {now} -> {p['replicas']} replicas", _labels(dep))


def _scale(clients: Clients, ns: str, name: str, replicas: int) -> None:
    from kubernetes import client as k8s

    k8s.AppsV1Api(clients("k8s")).patch_namespaced_deployment_scale(
        name, ns, {"spec": {"replicas": replicas}}
    )


def scale(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    was = int((_deployment(clients("k8s"), p["namespace"], p["name"]).get("spec") or {}).get("replicas", 1))
    _scale(clients, p["namespace"], p["name"], int(p["replicas"]))
    return {"was": was, "replicas": p["replicas"]}


def unscale(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    p = item.params
    was = int(detail.get("was", item.params["from"]))  # killed before journaling: what the plan saw
    _scale(clients, p["namespace"], p["name"], was)
    return {"replicas": was}


item_kind(
    "k8s-deployment-scale",
    action="scale-deployment",
    permissions=("get deployments.apps", "patch deployments.apps/scale"),
    recheck=recheck_scale,
    act=scale,
    undo=unscale,
)


# -- HPA bounds ---------------------------------------------------------------------------------------------


def _bounds(hpa: dict[str, Any]) -> tuple[int, int]:
    spec = hpa.get("spec") or {}
    return int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 1))


def recheck_bounds(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    hpa = _hpa(clients("k8s"), p["namespace"], p["name"])
    now = _bounds(hpa)
    if now == (p["min"], p["max"]):
        return Live("done", f"HPA {p['name']} already allows {now[0]}-{now[1]}", _labels(hpa))
    return Live("eligible", f"HPA {p['name']}: {now[0]}-{now[1]} -> {p['min']}-{p['max']}", _labels(hpa))


def _set_bounds(clients: Clients, ns: str, name: str, low: int, high: int) -> None:
    from kubernetes import client as k8s

    body = {"spec": {"minReplicas": low, "maxReplicas": high}}
    k8s.AutoscalingV2Api(clients("k8s")).patch_namespaced_horizontal_pod_autoscaler(name, ns, body)


def set_bounds(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    low, high = _bounds(_hpa(clients("k8s"), p["namespace"], p["name"]))
    _set_bounds(clients, p["namespace"], p["name"], int(p["min"]), int(p["max"]))
    return {"was_min": low, "was_max": high}


def restore_bounds(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    p = item.params
    low = int(detail.get("was_min", item.evidence["min"]))  # killed before journaling: what the plan saw
    high = int(detail.get("was_max", item.evidence["max"]))
    _set_bounds(clients, p["namespace"], p["name"], low, high)
    return {"min": low, "max": high}


item_kind(
    "k8s-hpa-bounds",
    action="set-hpa-bounds",
    permissions=("get horizontalpodautoscalers.autoscaling", "patch horizontalpodautoscalers.autoscaling"),
    recheck=recheck_bounds,
    act=set_bounds,
    undo=restore_bounds,
)


# -- kubectl rollout status ---------------------------------------------------------------------------------


def rolled_out(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    dep = _deployment(clients("k8s"), params["namespace"], params["name"])
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    want = int(spec.get("replicas", 1))
    generation = int((dep.get("metadata") or {}).get("generation", 0))
    seen = int(status.get("observedGeneration", 0))
    updated, ready, available = (
        int(status.get(k) or 0) for k in ("updatedReplicas", "readyReplicas", "availableReplicas")
    )
    for c in status.get("conditions") or []:
        if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
            return False, f"rollout stuck: {c.get('message') or 'ProgressDeadlineExceeded'}"
    progress = f"{updated}/{want} updated, {ready} ready, {available} available"
    if seen < generation:
        return False, f"waiting for the controller to see generation {generation} ({progress})"
    return updated == ready == available == want and int(status.get("replicas") or 0) == want, progress


wait_condition(
    "deployment-rolled-out",
    rolled_out,
    description="`kubectl rollout status`: every replica updated, ready and available",
)
