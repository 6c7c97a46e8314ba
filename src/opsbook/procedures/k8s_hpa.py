"""The item kind of `autoscale` (guide: Scaling Procedures / "Configure HPA", `kubectl autoscale deployment
my-app --min=3 --max=20 --cpu-percent=70`, then `kubectl get hpa my-app --watch`):

- `k8s-hpa-autoscale`: create an autoscaling/v2 HPA for a deployment, or change the bounds and CPU target of
  the one that targets it (its other metrics and behaviour are kept). Re-check: done when the HPA has the
  planned spec; changed when it was created, deleted or edited since the plan. Undo: delete the HPA it
  created (only one carrying this plan's annotation), or put back the bounds and metrics it found.
- wait `hpa-active`: the HPA controller has observed the new spec (observedGeneration), reads its metrics
  (currentMetrics, ScalingActive=True), and the deployment has rolled out to the count it wants.

Item params: `namespace`, `name` (the HPA), `deployment`, `min`, `max`, `cpu_percent`, and `from` (the
spec the plan saw: `{"min", "max", "metrics"}`, or None when there was no HPA).
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures.k8s_scale import rolled_out
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import wait_condition

PLAN_ANNOTATION = "opsbook.io/plan"  # on an HPA autoscale created: the plan's hash
PATH = "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers"


def cpu_metric(percent: int) -> dict[str, Any]:
    return {"type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": percent}}}  # fmt: skip


def is_cpu(metric: dict[str, Any]) -> bool:
    return metric.get("type") == "Resource" and (metric.get("resource") or {}).get("name") == "cpu"


def cpu_target(hpa: dict[str, Any]) -> int | None:
    """The HPA's CPU utilisation target (percent), if it has one."""
    for m in (hpa.get("spec") or {}).get("metrics") or []:
        if is_cpu(m):
            target = ((m.get("resource") or {}).get("target") or {}).get("averageUtilization")
            return int(target) if target is not None else None
    return None


def spec_of(hpa: dict[str, Any]) -> dict[str, Any]:
    """What autoscale sets and undo restores: `{"min", "max", "metrics"}`."""
    spec = hpa.get("spec") or {}
    return {"min": int(spec.get("minReplicas", 1)), "max": int(spec.get("maxReplicas", 1)),
            "metrics": list(spec.get("metrics") or [])}  # fmt: skip


def with_cpu(metrics: list[dict[str, Any]], percent: int) -> list[dict[str, Any]]:
    """`metrics` with its CPU utilisation target set to `percent` (added first when it had none)."""
    kept = [m for m in metrics if not is_cpu(m)]
    at = next((i for i, m in enumerate(metrics) if is_cpu(m)), 0)
    return kept[:at] + [cpu_metric(percent)] + kept[at:]


def wanted(p: dict[str, Any]) -> dict[str, Any]:
    base = (p.get("from") or {}).get("metrics") or []
    return {"min": p["min"], "max": p["max"], "metrics": with_cpu(base, int(p["cpu_percent"]))}


def _read(clients: Clients, ns: str, name: str) -> dict[str, Any] | None:
    from kubernetes.client.exceptions import ApiException

    try:
        doc: dict[str, Any] = clients("k8s").get_json(PATH.format(ns=ns) + f"/{name}")
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return doc


def _target_ok(hpa: dict[str, Any], deployment: str) -> bool:
    ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    return ref.get("kind") == "Deployment" and ref.get("name") == deployment


def _labels(doc: dict[str, Any] | None) -> dict[str, str]:
    return dict(((doc or {}).get("metadata") or {}).get("labels") or {})


def _summary(spec: dict[str, Any]) -> str:
    cpu = cpu_target({"spec": {"metrics": spec["metrics"]}})
    return f"{spec['min']}-{spec['max']} replicas" + (f", CPU {cpu}%" if cpu is not None else "")


def recheck(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    hpa = _read(clients, p["namespace"], p["name"])
    if hpa is not None and not _target_ok(hpa, p["deployment"]):
        return Live(
            "changed", f"HPA {p['name']} now targets something other than {p['deployment']}", _labels(hpa)
        )
    if hpa is not None and spec_of(hpa) == wanted(p):
        return Live("done", f"HPA {p['name']} already has {_summary(wanted(p))}", _labels(hpa))
    if p.get("from") is None:
        if hpa is not None:
            return Live("changed", f"an HPA {p['name']} was created since the plan ({_summary(spec_of(hpa))})",
                        _labels(hpa))  # fmt: skip
        return Live("eligible", f"no HPA yet: create {p['name']} ({_summary(wanted(p))})")
    if hpa is None:
        return Live("changed", f"HPA {p['name']} was deleted since the plan")
    if spec_of(hpa) != p["from"]:
        return Live("changed", f"HPA {p['name']} changed since the plan: {_summary(p['from'])} -> "
                    f"{_summary(spec_of(hpa))}", _labels(hpa))  # fmt: skip
    return Live("eligible", f"HPA {p['name']}: {_summary(p['from'])} -> {_summary(wanted(p))}", _labels(hpa))


def _patch(clients: Clients, ns: str, name: str, spec: dict[str, Any]) -> None:
    from kubernetes import client as k8s

    body = {
        "spec": {"minReplicas": spec["min"], "maxReplicas": spec["max"], "metrics": spec["metrics"] or None}
    }
    k8s.AutoscalingV2Api(clients("k8s")).patch_namespaced_horizontal_pod_autoscaler(name, ns, body)


def act(item: PlanItem, clients: Clients) -> dict[str, Any]:
    from kubernetes import client as k8s

    p, want = item.params, wanted(item.params)
    api = k8s.AutoscalingV2Api(clients("k8s"))
    if p.get("from") is None:
        body: Any = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {
                "name": p["name"],
                "namespace": p["namespace"],
                "annotations": {PLAN_ANNOTATION: clients.plan_hash},
            },  # fmt: skip
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": p["deployment"]},
                "minReplicas": want["min"],
                "maxReplicas": want["max"],
                "metrics": want["metrics"],
            },  # fmt: skip
        }
        api.create_namespaced_horizontal_pod_autoscaler(p["namespace"], body)
        return {"created": True, **{k: want[k] for k in ("min", "max")}}
    hpa = _read(clients, p["namespace"], p["name"]) or {}
    was = spec_of(hpa)
    _patch(clients, p["namespace"], p["name"], want)
    return {"created": False, "was": was}


def undo(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    from kubernetes import client as k8s

    p = item.params
    if p.get("from") is None:  # it created the HPA: delete it, but only the one this plan made
        hpa = _read(clients, p["namespace"], p["name"])
        if hpa is None:
            return {"deleted": False, "note": "already gone"}
        mark = ((hpa.get("metadata") or {}).get("annotations") or {}).get(PLAN_ANNOTATION)
        if mark != clients.plan_hash:
            raise RuntimeError(
                f"HPA {p['name']} was not created by this plan ({PLAN_ANNOTATION}={mark!r}): left alone"
            )
        k8s.AutoscalingV2Api(clients("k8s")).delete_namespaced_horizontal_pod_autoscaler(
            p["name"], p["namespace"]
        )
        return {"deleted": True}
    was = detail.get("was") or p["from"]  # killed before journaling: what the plan saw
    _patch(clients, p["namespace"], p["name"], was)
    return {"restored": _summary(was)}


item_kind(
    "k8s-hpa-autoscale",
    action="autoscale",
    permissions=(
        "get horizontalpodautoscalers.autoscaling",
        "create horizontalpodautoscalers.autoscaling",
        "patch horizontalpodautoscalers.autoscaling",
        "delete horizontalpodautoscalers.autoscaling",
        "get deployments.apps",
    ),
    recheck=recheck,
    act=act,
    undo=undo,
)


def _cpu_now(hpa: dict[str, Any]) -> str:
    for m in (hpa.get("status") or {}).get("currentMetrics") or []:
        if is_cpu(m):
            return f"{((m.get('resource') or {}).get('current') or {}).get('averageUtilization', '?')}%"
    return "<unknown>"


def hpa_active(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    hpa = _read(clients, params["namespace"], params["name"])
    if hpa is None:
        return False, f"HPA {params['name']} not found"
    status = hpa.get("status") or {}
    generation = int((hpa.get("metadata") or {}).get("generation", 1))
    if int(status.get("observedGeneration") or 0) < generation:
        return False, f"waiting for the HPA controller to observe generation {generation}"
    active = next((c for c in status.get("conditions") or [] if c.get("type") == "ScalingActive"), None)
    if active is None or active.get("status") != "True" or not status.get("currentMetrics"):
        why = f"{active.get('reason')}: {active.get('message')}" if active else "no metrics yet"
        return False, f"HPA {params['name']} is not active ({why})"
    current, desired = int(status.get("currentReplicas") or 0), int(status.get("desiredReplicas") or 0)
    line = f"HPA {params['name']}: cpu {_cpu_now(hpa)}/{cpu_target(hpa)}%, replicas {current} -> {desired}"
    if current != desired:
        return False, line
    done, rollout = rolled_out(
        item, clients, {"namespace": params["namespace"], "name": params["deployment"]}
    )
    return done, f"{line}; {rollout}"


wait_condition(
    "hpa-active",
    hpa_active,
    description="`kubectl get hpa NAME --watch`: the HPA reads its metrics and the deployment has its count",
)
