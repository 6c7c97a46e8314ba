"""The guide's blue/green traffic switch (Upgrade Procedures / Upgrade Application Workloads):

- `k8s-service-selector`: `kubectl patch service NAME -p '{"spec":{"selector":{...}}}'`. The Service's
  selector becomes exactly `selector` (a JSON merge patch: its keys set, keys it lacks removed); undo puts
  `from` back the same way. Re-checked at apply: done when the selector is already the new one, skipped when
  it is neither the new nor the one the plan saw, or when the deployment switched to is no longer fully
  available.
- wait `service-endpoints`: the Service's Endpoints list exactly the IPs of the Ready pods its selector
  selects (the endpoints controller has followed the selector); with `owner` (a deployment's matchLabels)
  each of those pods must be that deployment's, so "exactly the v2 pods".

Item params: `namespace`, `name` (the Service), `selector`, `from`, `deployment` (the one switched to).
"""

from __future__ import annotations

from typing import Any

from opsbook.core.labels import selector_matches
from opsbook.procedures.k8s_scale import deployment_doc, labels_of
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import WaitFailed, wait_condition

MERGE = "application/merge-patch+json"


def text(selector: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "(none)"


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """A Service's selector (key=value pairs) selects `labels`; an empty one selects nothing."""
    return bool(selector) and selector_matches({"matchLabels": selector}, labels)


def pod_ready(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
    )
    return ready and bool(status.get("podIP"))


def service_doc(api: Any, ns: str, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = api.get_json(f"/api/v1/namespaces/{ns}/services/{name}")
    return doc


def selector_of(service: dict[str, Any]) -> dict[str, str]:
    return dict((service.get("spec") or {}).get("selector") or {})


def unavailable(dep: dict[str, Any]) -> str | None:
    """Why the deployment is not fully available (None when every replica is updated, ready, available)."""
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    want = int(spec.get("replicas", 1))
    counts = [
        int(status.get(k) or 0) for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    ]
    seen = int(status.get("observedGeneration", 0)) >= int((dep.get("metadata") or {}).get("generation", 0))
    if want >= 1 and seen and counts == [want] * 4:
        return None
    return f"{counts[1]}/{want} updated, {counts[2]} ready, {counts[3]} available" + (
        "" if seen else ", a change not yet seen by its controller"
    )


def recheck_selector(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    api = clients("k8s")
    service = service_doc(api, p["namespace"], p["name"])
    now, tags = selector_of(service), labels_of(service)
    if now == p["selector"]:
        return Live("done", f"service {p['name']} already selects {text(now)}", tags)
    if now != p["from"]:
        return Live(
            "changed", f"service {p['name']} selects {text(now)} now, the plan saw {text(p['from'])}", tags
        )
    why = unavailable(deployment_doc(api, p["namespace"], p["deployment"]))
    if why:
        return Live("changed", f"deployment {p['deployment']} is not fully available now ({why})", tags)
    return Live("eligible", f"service {p['name']}: {text(now)} -> {text(p['selector'])}", tags)


def _set_selector(clients: Clients, p: dict[str, Any], want: dict[str, str]) -> dict[str, str]:
    """Make the Service's selector exactly `want`; returns the selector it had (no request when equal)."""
    from kubernetes import client as k8s

    api = clients("k8s")
    have = selector_of(service_doc(api, p["namespace"], p["name"]))
    if have != want:
        body = {"spec": {"selector": {**{k: None for k in have if k not in want}, **want}}}
        k8s.CoreV1Api(api).patch_namespaced_service(p["name"], p["namespace"], body, _content_type=MERGE)
    return have


def switch(item: PlanItem, clients: Clients) -> dict[str, Any]:
    was = _set_selector(clients, item.params, dict(item.params["selector"]))
    return {"from": was, "selector": item.params["selector"]}


def switch_back(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    back = dict(detail.get("from") or item.params["from"])  # killed before journaling: what the plan saw
    _set_selector(clients, item.params, back)
    note = f"service {item.params['name']} selects {text(back)} again (was {text(item.params['selector'])})"
    return {"selector": back, "note": note, "wait": {"selector": back, "owner": None}}


item_kind(
    "k8s-service-selector",
    action="switch-selector",
    permissions=("get services", "patch services", "get deployments.apps"),
    recheck=recheck_selector,
    act=switch,
    undo=switch_back,
)


def endpoints_follow(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    from kubernetes.client.exceptions import ApiException

    api = clients("k8s")
    ns, name, want = params["namespace"], params["name"], dict(params["selector"])
    now = selector_of(service_doc(api, ns, name))
    if now != want:
        raise WaitFailed(f"service {name} selects {text(now)} now, not {text(want)}")
    pods = api.list_items(f"/api/v1/namespaces/{ns}/pods", label_selector=text(want))
    ready = {p["status"]["podIP"]: p["metadata"]["name"] for p in pods if pod_ready(p)}
    try:
        subsets = api.get_json(f"/api/v1/namespaces/{ns}/endpoints/{name}").get("subsets") or []
    except ApiException as exc:
        if exc.status != 404:
            raise
        subsets = []  # the endpoints controller has not written them yet
    listed = {a["ip"] for s in subsets for a in s.get("addresses") or []}
    progress = (
        f"endpoints list {len(listed & ready.keys())} of the {len(ready)} Ready pods {text(want)} selects"
    )
    if others := listed - ready.keys():
        progress += f", and {len(others)} other addresses ({', '.join(sorted(others)[:5])})"
    owner = params.get("owner")
    strangers = sorted(
        p["metadata"]["name"] for p in pods if owner and pod_ready(p) and not matches(owner, labels_of(p))
    )
    if strangers:
        return (
            False,
            f"{progress}; the selector also selects pods of another workload: {', '.join(strangers[:5])}",
        )
    return bool(ready) and listed == ready.keys(), progress


wait_condition(
    "service-endpoints",
    endpoints_follow,
    description="the Service's Endpoints list exactly the Ready pods its selector selects",
)
