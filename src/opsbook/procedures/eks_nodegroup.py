"""EKS node group scaling (guide: Scaling Procedures / Scale EKS Node Groups):

- `eks-nodegroup-scale`: `aws eks update-nodegroup-config --scaling-config minSize=..,maxSize=..,desiredSize=..`;
  re-checked against the sizes the plan saw; undo restores the sizes it found and waits for them again.
- wait `nodegroup-scaled` (`watch kubectl get nodes`): the node group is ACTIVE (or DEGRADED, if it was so
  when planned) with the new sizes, and the item's cluster has exactly `desired` Nodes labelled
  `eks.amazonaws.com/nodegroup=<group>`, every one Ready but those already not Ready when the plan was made.

Item params: `cluster` (the EKS cluster's name), `nodegroup`, `min`, `max`, `desired`, and `from` (the sizes
the plan saw). `clients("eks")` is in the item's account and region; `clients("k8s")` is the item's cluster.
"""

from __future__ import annotations

import time
from typing import Any

from opsbook.collect.k8s.convert import node as node_model
from opsbook.collect.k8s.convert import pod as pod_model
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import wait_condition

SIZES = {"min": "minSize", "max": "maxSize", "desired": "desiredSize"}
UPDATE_PARAMS = {"MinSize": "min", "MaxSize": "max", "DesiredSize": "desired"}
SETTLED = ("ACTIVE", "DEGRADED")  # statuses an update may start from
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"


def sizes_of(ng: dict[str, Any]) -> dict[str, int]:
    scaling = ng.get("scalingConfig") or {}
    return {k: int(scaling.get(api, 0)) for k, api in SIZES.items()}


def text(sizes: dict[str, Any]) -> str:
    """`min/max/desired 3/5/5`"""
    return f"min/max/desired {sizes['min']}/{sizes['max']}/{sizes['desired']}"


def sizes_text(sizes: dict[str, Any]) -> str:
    return f"{sizes['min']}/{sizes['max']}/{sizes['desired']}"


def describe(clients: Clients, cluster: str, nodegroup: str) -> dict[str, Any]:
    found: dict[str, Any] = clients("eks").describe_nodegroup(clusterName=cluster, nodegroupName=nodegroup)[
        "nodegroup"
    ]
    return found


def wanted(params: dict[str, Any]) -> dict[str, int]:
    return {k: int(params[k]) for k in SIZES}


def update_in_progress(clients: Clients, cluster: str, nodegroup: str, want: dict[str, int]) -> str | None:
    """The id of an InProgress update of the node group whose sizes are `want` (an act whose apply died
    before journaling it), else None."""
    eks = clients("eks")
    for update_id in eks.list_updates(name=cluster, nodegroupName=nodegroup).get("updateIds", [])[:10]:
        update = eks.describe_update(name=cluster, updateId=update_id, nodegroupName=nodegroup)["update"]
        if update.get("status") != "InProgress":
            continue
        sizes = {
            UPDATE_PARAMS[p["type"]]: int(p["value"])
            for p in update.get("params", [])
            if p["type"] in UPDATE_PARAMS
        }
        if sizes and all(want[k] == v for k, v in sizes.items()):
            return str(update_id)
    return None


def recheck_scale(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    ng = describe(clients, p["cluster"], p["nodegroup"])
    now, want, tags = sizes_of(ng), wanted(p), dict(ng.get("tags") or {})
    status = ng.get("status", "UNKNOWN")
    if status == "UPDATING":
        if update_in_progress(clients, p["cluster"], p["nodegroup"], want):
            return Live("done", f"an update to {text(want)} is in progress", tags)
        return Live("changed", f"node group is UPDATING (another update, at {text(now)})", tags)
    if now == want:
        return Live("done", f"already at {text(want)}", tags)
    if now != wanted(p["from"]):
        return Live(
            "changed",
            f"sizes changed since the plan: now {text(now)}, the plan saw {sizes_text(p['from'])}",
            tags,
        )
    if status not in SETTLED:
        return Live("changed", f"node group is {status}", tags)
    return Live("eligible", f"{text(now)} -> {sizes_text(want)}", tags)


def _update(clients: Clients, cluster: str, nodegroup: str, sizes: dict[str, int]) -> str:
    scaling = {api: int(sizes[k]) for k, api in SIZES.items()}
    update = clients("eks").update_nodegroup_config(
        clusterName=cluster, nodegroupName=nodegroup, scalingConfig=scaling
    )
    return str(update["update"]["id"])


def scale(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    was = sizes_of(describe(clients, p["cluster"], p["nodegroup"]))
    return {"update_id": _update(clients, p["cluster"], p["nodegroup"], wanted(p)), "was": was}


def unscale(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    """Put back the sizes the act found (what the plan saw, if the apply died before journaling), once
    the node group is no longer UPDATING (EKS refuses an update during another); the rollback then waits
    for `nodegroup-scaled` with these sizes."""
    p = item.params
    was = wanted(detail.get("was") or p["from"])
    deadline = time.time() + (item.wait.timeout_s if item.wait else 600)
    ng = describe(clients, p["cluster"], p["nodegroup"])
    while ng.get("status") == "UPDATING" and time.time() < deadline:
        time.sleep(item.wait.interval_s if item.wait else 5)
        ng = describe(clients, p["cluster"], p["nodegroup"])
    out: dict[str, Any] = {**was, "wait": was}
    if sizes_of(ng) != was:
        out["update_id"] = _update(clients, p["cluster"], p["nodegroup"], was)
    return out


item_kind(
    "eks-nodegroup-scale",
    action="scale-nodegroup",
    permissions=(
        "eks:DescribeNodegroup",
        "eks:UpdateNodegroupConfig",
        "eks:ListUpdates",
        "eks:DescribeUpdate",
        "list nodes",
    ),
    recheck=recheck_scale,
    act=scale,
    undo=unscale,
)


def nodes_of(api: Any, nodegroup: str) -> list[Any]:
    """The node group's Kubernetes nodes (`kubectl get nodes -l eks.amazonaws.com/nodegroup=<group>`)."""
    return [
        node_model(n)
        for n in api.list_items("/api/v1/nodes", label_selector=f"{NODEGROUP_LABEL}={nodegroup}")
    ]


def scaled(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    want = wanted(params)
    ng = describe(clients, params["cluster"], params["nodegroup"])
    status, now = ng.get("status", "UNKNOWN"), sizes_of(ng)
    progress = f"node group {status} at {text(now)}"
    if now != want or status not in params.get("statuses", ["ACTIVE"]):
        return False, f"{progress}, waiting for ACTIVE at {sizes_text(want)}"
    if not item.cluster:
        return True, progress
    nodes = nodes_of(clients("k8s"), params["nodegroup"])
    excused = set(params.get("not_ready_before") or [])
    ready = sum(1 for n in nodes if n.ready == "True")
    starting = [n.name for n in nodes if n.ready != "True" and n.name not in excused]
    progress += f"; {len(nodes)}/{want['desired']} nodes, {ready} Ready"
    if starting:
        progress += f" ({len(starting)} not Ready yet)"
    if len(nodes) != want["desired"] or starting:
        return False, progress
    agents = node_agents_starting(clients("k8s"), {n.name for n in nodes} - excused)
    if agents:  # a node runs pods only once its DaemonSets (CNI aws-node, kube-proxy) do
        return False, f"{progress}; node agents starting: {', '.join(agents[:3])}"
    return True, progress


def node_agents_starting(api: Any, node_names: set[str]) -> list[str]:
    """DaemonSet pods on `node_names` that are not Running and ready yet."""
    out = []
    for obj in api.list_items("/api/v1/pods"):
        p = pod_model(obj)
        if p.node in node_names and (p.owner or "").startswith("DaemonSet/"):
            if p.phase != "Running" or not all(c.ready for c in p.containers):
                out.append(p.key)
    return sorted(out)


wait_condition(
    "nodegroup-scaled",
    scaled,
    description="`watch kubectl get nodes`: the node group ACTIVE with the new sizes, and its nodes "
    "registered and Ready in Kubernetes",
)
