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
from opsbook.procedures.steps import WaitFailed, wait_condition
from opsbook.procedures.velero import get_or_none

REVISION = "deployment.kubernetes.io/revision"


def deployment_doc(api: Any, ns: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = api.get_json(deployment_path(ns, name))
    return doc


def deployment_path(ns: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{ns}/deployments/{name}"


def live_deployment(clients: Clients, ns: str, name: str) -> dict[str, Any] | None:
    """The deployment as it is now, or None when it was deleted since the plan: a re-check then says
    `gone()` (changed, the step skipped) instead of failing the step on the API's 404."""
    return get_or_none(clients("k8s"), deployment_path(ns, name))


def gone(ns: str, name: str) -> Live:
    return Live("changed", f"deployment {ns}/{name} is gone")


def _hpa(api: Any, ns: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = api.get_json(
        f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/{name}"
    )
    return doc


def labels_of(doc: dict[str, Any]) -> dict[str, str]:
    return dict((doc.get("metadata") or {}).get("labels") or {})


# -- kubectl scale deployment -------------------------------------------------------------------------------


def recheck_scale(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    dep = live_deployment(clients, p["namespace"], p["name"])
    if dep is None:
        return gone(p["namespace"], p["name"])
    now = int((dep.get("spec") or {}).get("replicas", 1))
    if now == p["replicas"]:
        return Live("done", f"{p['name']} already has {now} replicas", labels_of(dep))
    if p.get("from") is not None and now != p["from"]:
        return Live(
            "changed", f"{p['name']} has {now} replicas now, the plan saw {p['from']}", labels_of(dep)
        )
    return Live("eligible", f"{p['name']}: {now} -> {p['replicas']} replicas", labels_of(dep))


def _scale(clients: Clients, ns: str, name: str, replicas: int) -> None:
    from kubernetes import client as k8s

    k8s.AppsV1Api(clients("k8s")).patch_namespaced_deployment_scale(
        name, ns, {"spec": {"replicas": replicas}}
    )


def scale(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    was = int(
        (deployment_doc(clients("k8s"), p["namespace"], p["name"]).get("spec") or {}).get("replicas", 1)
    )
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
        return Live("done", f"HPA {p['name']} already allows {now[0]}-{now[1]}", labels_of(hpa))
    return Live("eligible", f"HPA {p['name']}: {now[0]}-{now[1]} -> {p['min']}-{p['max']}", labels_of(hpa))


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


def images_of(template: dict[str, Any]) -> dict[str, str]:
    """container name -> image of a pod template."""
    return {
        c["name"]: c.get("image", "") for c in ((template or {}).get("spec") or {}).get("containers") or []
    }


def rolled_out(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    """`kubectl rollout status` (its rules, in its order): the controller has seen the latest spec, then a
    Progressing=False/ProgressDeadlineExceeded condition fails the wait at once (WaitFailed), else every
    replica must be updated, ready and available, with no old ones left. `params["images"]` (container ->
    image) also requires the deployment's template to run those images: a template someone else changed
    meanwhile fails the wait instead of passing it."""
    dep = deployment_doc(clients("k8s"), params["namespace"], params["name"])
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    live = images_of(spec.get("template") or {})
    for container, image in (params.get("images") or {}).items():
        if live.get(container) != image:
            raise WaitFailed(
                f"container {container} of {params['name']} is {live.get(container)!r} now, not {image}"
            )
    want = int(spec.get("replicas", 1))
    generation = int((dep.get("metadata") or {}).get("generation", 0))
    seen = int(status.get("observedGeneration", 0))
    updated, ready, available = (
        int(status.get(k) or 0) for k in ("updatedReplicas", "readyReplicas", "availableReplicas")
    )
    revision = ((dep.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    progress = (f"revision {revision}: " if revision else "") + (
        f"{updated}/{want} updated, {ready} ready, {available} available"
    )
    if seen < generation:
        return False, f"waiting for the controller to see generation {generation} ({progress})"
    for c in status.get("conditions") or []:
        if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
            raise WaitFailed(
                f"deployment {params['name']} exceeded its progress deadline ({c.get('message') or c['reason']}; "
                f"{progress})"
            )
    # an undo returns to a revision that may not have been fully available (`available`: as many as it had)
    enough = min(want, int(params.get("available", want)))
    done = updated == want and int(status.get("replicas") or 0) == want and min(ready, available) >= enough
    return done and (enough < want or ready == available == want), progress


wait_condition(
    "deployment-rolled-out",
    rolled_out,
    description="`kubectl rollout status`: every replica updated, ready and available",
)
