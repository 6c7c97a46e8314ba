"""The control plane steps of `eks-upgrade` (guide: Upgrade Procedures / Upgrade EKS Cluster:
`atmos terraform plan|apply eks -s STACK -var kubernetes_version=...`, then `aws eks wait cluster-active`):

- `eks-cluster-version`: `aws eks update-cluster-version --kubernetes-version 1.33` (a cluster no stack manages).
- `eks-version-manifest-edit` and `eks-version-terraform-apply`: the stack-set steps (procedures/stack_edit.py)
  for a cluster an Atmos stack manages: `kubernetes_version` edited in the stack's manifest, then the
  component planned again and applied only when Terraform would make exactly the approved changes.
- wait `cluster-version`: the control plane ACTIVE at the target minor; progress shows the time since the
  update started against EKS's usual 15-20 minutes; an update that ends Failed fails the step at once.

Re-check: `done` once the control plane is at the target or an update to it is in progress (an apply killed
after acting resumes the wait and never updates twice); `changed` when the control plane moved since the
plan or another update runs. Undo: none. EKS cannot downgrade a control plane; the manifest edit alone is
put back, and only while the control plane still runs the version the plan saw.

Item params: `cluster` (EKS name), `to` (target minor), `from` (the version the plan saw).
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures import stack_edit
from opsbook.procedures.eks_updates import elapsed, errors_text, in_progress, minor, update_to, updates
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import WaitFailed, wait_condition

NO_DOWNGRADE = (
    "EKS cannot downgrade a control plane: it stays at the new version (going back means a new cluster at "
    "the old version and moving the workloads to it)"
)
EXPECTED = "15-20 min"  # how long EKS usually takes to upgrade a control plane


def describe(clients: Clients, cluster: str) -> dict[str, Any]:
    found: dict[str, Any] = clients("eks").describe_cluster(name=cluster)["cluster"]
    return found


def recheck_version(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    c = describe(clients, p["cluster"])
    tags, version, status = dict(c.get("tags") or {}), str(c.get("version", "")), c.get("status", "UNKNOWN")
    if minor(version) == p["to"]:
        return Live("done", f"the control plane is at {version} ({status})", tags)
    found = updates(clients("eks"), p["cluster"])
    mine = update_to(found, "VersionUpdate", "Version", p["to"])
    if mine is not None and mine.get("status") == "InProgress":
        return Live("done", f"an update to {p['to']} is in progress (update {mine['id']})", tags)
    if minor(version) != minor(p["from"]):
        return Live("changed", f"the control plane is at {version} now, the plan saw {p['from']}", tags)
    if status != "ACTIVE" or in_progress(found):
        return Live("changed", f"the cluster is {status} with another update in progress", tags)
    return Live("eligible", f"control plane {version} -> {p['to']}", tags)


def update_version(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    update = clients("eks").update_cluster_version(name=p["cluster"], version=p["to"])["update"]
    return {"update_id": update["id"], "from": p["from"], "to": p["to"]}


item_kind(
    "eks-cluster-version",
    action="update-cluster-version",
    permissions=("eks:DescribeCluster", "eks:UpdateClusterVersion", "eks:ListUpdates", "eks:DescribeUpdate"),
    recheck=recheck_version,
    act=update_version,
    irreversible=NO_DOWNGRADE,
)


def unedit_unless_upgraded(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    """Put the manifest back, but only while the control plane still runs the version the plan saw: a stack
    saying 1.32 over a 1.33 control plane would make the next `terraform apply` try a downgrade."""
    p = item.params
    version = str(describe(clients, p["cluster"]).get("version", ""))
    if minor(version) != minor(p["from"]):
        raise RuntimeError(f"the control plane runs {version} now and {NO_DOWNGRADE}; "
                           f"the stack keeps kubernetes_version {p['to']}")  # fmt: skip
    return stack_edit.unedit(item, clients, detail)


item_kind(
    "eks-version-manifest-edit",
    action="edit-manifest",
    permissions=("write the stack manifest", "eks:DescribeCluster"),
    recheck=stack_edit.recheck_edit,
    act=stack_edit.edit,
    undo=unedit_unless_upgraded,
)

item_kind(
    "eks-version-terraform-apply",
    action="terraform-apply",
    permissions=(
        "terraform plan/apply of the component (its own providers' permissions)",
        "eks:DescribeCluster",
        "eks:ListUpdates",
        "eks:DescribeUpdate",
    ),
    recheck=stack_edit.recheck_apply,
    act=stack_edit.apply_component,
    irreversible=NO_DOWNGRADE,
)


def cluster_version(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    """`aws eks wait cluster-active`, at the target version."""
    cluster, to = params["cluster"], params["to"]
    c = describe(clients, cluster)
    version, status = str(c.get("version", "")), c.get("status", "UNKNOWN")
    mine = update_to(updates(clients("eks"), cluster), "VersionUpdate", "Version", to)
    if minor(version) == to and status == "ACTIVE":
        return True, f"control plane ACTIVE at {version}"
    if mine is not None and mine.get("status") in ("Failed", "Cancelled"):
        raise WaitFailed(
            f"update {mine['id']} of the control plane to {to} ended {mine['status']}: {errors_text(mine)}; "
            f"the control plane is {status} at {version} (see `aws eks describe-update --name {cluster} "
            f"--update-id {mine['id']}`, fix the cause, then apply the plan again)"
        )
    since = elapsed(mine)
    took = f": {since} elapsed, EKS usually takes {EXPECTED}" if since else f" (EKS usually takes {EXPECTED})"
    return False, f"control plane {status} at {version}, upgrading to {to}{took}"


wait_condition(
    "cluster-version",
    cluster_version,
    description="`aws eks wait cluster-active`: the control plane ACTIVE at the target Kubernetes version",
)
