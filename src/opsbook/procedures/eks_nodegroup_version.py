"""A node group's step of `eks-upgrade` (guide: the `update-nodegroup-version` loop, then
`aws eks wait nodegroup-active`), one node group at a time:

- `eks-nodegroup-version`: `aws eks update-nodegroup-version --kubernetes-version 1.33` (the latest AMI
  release of the target; eviction respects PodDisruptionBudgets, never `--force`).
- wait `nodegroup-version`: the node group ACTIVE at the target, and in the cluster's API every node of the
  group Ready with a kubelet at the target minor, as many as the group's desired size, and nothing still
  coming back (pods starting, DaemonSet agents on the new nodes included; ReplicaSets short of the pods
  evicted from the old nodes) but what was so at plan time: the health gate after it judges a settled
  cluster. When the update ends Failed (EKS's `PodEvictionFailure` after its drain retries) the step fails at
  once naming the PodDisruptionBudgets with 0 disruptions allowed and their pods on the group's nodes, and
  what to do next; while the update drags on with nodes being drained (EKS's taint, or cordoned), the
  progress names them too (a timeout says so).

Re-check: `done` at the target or with an update to it in progress; `changed` when the group's version moved
since the plan or another update runs. (The step runs after the control plane's: EKS itself refuses a node
group version above the control plane's, and a dry run judges the step as if the control plane had moved.)
Undo: none. EKS cannot roll a managed node group back to an earlier Kubernetes or AMI version.

Item params: `cluster` (EKS name), `nodegroup`, `to`, `from` (version the plan saw), `release` (its AMI).
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures.eks_nodegroup import describe, nodes_of
from opsbook.procedures.eks_updates import errors_text, in_progress, minor, update_to, updates
from opsbook.procedures.k8s_drain import blockers_text, eviction_blockers, settled
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import WaitFailed, wait_condition

DRAIN_TAINT = "eks.amazonaws.com/nodegroup:NoSchedule"  # EKS's taint on the old nodes it is about to drain
NO_ROLLBACK = (
    "EKS cannot roll a managed node group back to an earlier Kubernetes or AMI version (going back means a "
    "new node group at the old version and moving the pods to it)"
)


def recheck_nodegroup(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    ng = describe(clients, p["cluster"], p["nodegroup"])
    tags, version, status = (
        dict(ng.get("tags") or {}),
        str(ng.get("version", "")),
        ng.get("status", "UNKNOWN"),
    )
    if minor(version) == p["to"]:
        return Live("done", f"node group {p['nodegroup']} is at {version} ({ng.get('releaseVersion')})", tags)
    found = updates(clients("eks"), p["cluster"], nodegroup=p["nodegroup"])
    mine = update_to(found, "VersionUpdate", "Version", p["to"])
    if mine is not None and mine.get("status") == "InProgress":
        return Live("done", f"an update to {p['to']} is in progress (update {mine['id']})", tags)
    if minor(version) != minor(p["from"]):
        return Live(
            "changed", f"node group {p['nodegroup']} is at {version} now, the plan saw {p['from']}", tags
        )
    if status != "ACTIVE" or in_progress(found):
        return Live(
            "changed", f"node group {p['nodegroup']} is {status} with another update in progress", tags
        )
    return Live("eligible", f"node group {p['nodegroup']} {version} -> {p['to']}", tags)


def update_nodegroup(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    update = clients("eks").update_nodegroup_version(
        clusterName=p["cluster"], nodegroupName=p["nodegroup"], version=p["to"]
    )["update"]
    return {"update_id": update["id"], "from": p["from"], "release": p.get("release"), "to": p["to"]}


item_kind(
    "eks-nodegroup-version",
    action="update-nodegroup-version",
    permissions=(
        "eks:DescribeNodegroup",
        "eks:UpdateNodegroupVersion",
        "eks:ListUpdates",
        "eks:DescribeUpdate",
        "list nodes",
        "list pods",
        "list replicasets.apps",
        "list deployments.apps",
        "list poddisruptionbudgets.policy",
    ),
    recheck=recheck_nodegroup,
    act=update_nodegroup,
    irreversible=NO_ROLLBACK,
)


def failed(params: dict[str, Any], update: dict[str, Any], api: Any, nodes: list[str]) -> WaitFailed:
    """The step's failure: EKS's reason, the budgets that blocked the drain, and what to do next."""
    cluster, group = params["cluster"], params["nodegroup"]
    head = f"update {update['id']} of node group {group} to {params['to']} ended {update['status']}: {errors_text(update)}"
    blockers = eviction_blockers(api, nodes)
    if blockers:
        return WaitFailed(
            f"{head}; eviction is blocked by {blockers_text(blockers)}. Next: let each budget allow a disruption "
            "(add replicas so more pods are healthy than it needs, or relax minAvailable/maxUnavailable), then "
            "apply the plan again to retry this node group; or accept the disruption with "
            f"`aws eks update-nodegroup-version --cluster-name {cluster} --nodegroup-name {group} --force`"
        )
    return WaitFailed(
        f"{head}; no PodDisruptionBudget blocks eviction now. Next: see `aws eks describe-update --name {cluster} "
        f"--nodegroup-name {group} --update-id {update['id']}`, fix the cause, then apply the plan again"
    )


def nodegroup_version(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    cluster, group, to = params["cluster"], params["nodegroup"], params["to"]
    ng = describe(clients, cluster, group)
    mine = update_to(updates(clients("eks"), cluster, nodegroup=group), "VersionUpdate", "Version", to)
    api = clients("k8s")
    nodes = nodes_of(api, group)
    names = [n.name for n in nodes]
    if mine is not None and mine.get("status") in ("Failed", "Cancelled"):
        raise failed(params, mine, api, names)
    status, version = ng.get("status", "UNKNOWN"), str(ng.get("version", ""))
    at = [n for n in nodes if minor(n.kubelet_version) == to]
    ready = [n for n in at if n.ready == "True"]
    progress = f"node group {status} at {version}; nodes at {to}: {len(at)} ({len(ready)} Ready), older: {len(nodes) - len(at)}"
    if status != "ACTIVE" or minor(version) != to:
        draining = [n.name for n in nodes if n.unschedulable or DRAIN_TAINT in n.taints]
        blockers = eviction_blockers(api, draining) if draining else []
        if blockers:
            progress += (f"; draining {', '.join(draining[:3])} is blocked by {blockers_text(blockers)}: let each "
                         "budget allow a disruption, or EKS ends the update with PodEvictionFailure")  # fmt: skip
        return False, progress
    desired = int((ng.get("scalingConfig") or {}).get("desiredSize", len(nodes)))
    if len(ready) != len(nodes) or len(nodes) != desired:
        return False, f"{progress} (desired {desired})"
    return settled(api, progress, params.get("excused") or [])


wait_condition(
    "nodegroup-version",
    nodegroup_version,
    description="`aws eks wait nodegroup-active` at the target version, with every node of the group Ready at "
    "the new kubelet minor and the evicted pods running again",
)
