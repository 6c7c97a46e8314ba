"""The add-on steps of `eks-upgrade` (the guide's "Upgrade add-ons", through EKS's add-on API instead of a
manifest URL): each installed EKS add-on that is not compatible with the target goes to the default version
EKS names for it (`describe-addon-versions --kubernetes-version`), one at a time.

- `eks-addon-version`: `aws eks update-addon --addon-version V --resolve-conflicts PRESERVE` (settings changed
  on the cluster are kept). Re-check: `done` at V or with an update to V in progress; `changed` when the
  version moved since the plan or another update runs. Undo: none. Only add-ons whose version is not
  compatible with the target move, and EKS refuses to set a version the cluster's Kubernetes is not
  compatible with, so the old one cannot come back once the control plane is upgraded.
- wait `addon-active`: the add-on ACTIVE at the version, and nothing still coming back (procedures/
  k8s_drain.py `unsettled`: the add-on's pods roll) but what was so at plan time; an update that ends
  Failed fails the step with EKS's reason.

Item params: `cluster` (EKS name), `addon`, `to` (add-on version), `from` (the version the plan saw);
wait params add `excused` (what was not settled at plan time).
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures.eks_updates import errors_text, in_progress, update_to, updates
from opsbook.procedures.k8s_drain import settled
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import WaitFailed, wait_condition

SETTLED = ("ACTIVE", "DEGRADED")
NO_DOWNGRADE = (
    "EKS refuses an add-on version that is not compatible with the cluster's Kubernetes version, and the "
    "version this step replaced was not (that is why it moved)"
)


def describe_addon(clients: Clients, cluster: str, addon: str) -> dict[str, Any]:
    found: dict[str, Any] = clients("eks").describe_addon(clusterName=cluster, addonName=addon)["addon"]
    return found


def recheck_addon(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    a = describe_addon(clients, p["cluster"], p["addon"])
    tags, version, status = dict(a.get("tags") or {}), a.get("addonVersion", ""), a.get("status", "UNKNOWN")
    if version == p["to"]:
        return Live("done", f"{p['addon']} is at {version} ({status})", tags)
    found = updates(clients("eks"), p["cluster"], addon=p["addon"])
    mine = update_to(found, "AddonUpdate", "AddonVersion", p["to"])
    if mine is not None and mine.get("status") == "InProgress":
        return Live(
            "done", f"an update of {p['addon']} to {p['to']} is in progress (update {mine['id']})", tags
        )
    if version != p["from"]:
        return Live("changed", f"{p['addon']} is at {version} now, the plan saw {p['from']}", tags)
    if status not in SETTLED or in_progress(found):
        return Live("changed", f"{p['addon']} is {status} with another update in progress", tags)
    return Live("eligible", f"{p['addon']} {version} -> {p['to']}", tags)


def _update(clients: Clients, cluster: str, addon: str, version: str) -> str:
    update = clients("eks").update_addon(
        clusterName=cluster, addonName=addon, addonVersion=version, resolveConflicts="PRESERVE"
    )["update"]
    return str(update["id"])


def update_addon(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    return {
        "update_id": _update(clients, p["cluster"], p["addon"], p["to"]),
        "from": p["from"],
        "to": p["to"],
    }


item_kind(
    "eks-addon-version",
    action="update-addon",
    permissions=(
        "eks:DescribeAddon",
        "eks:UpdateAddon",
        "eks:ListUpdates",
        "eks:DescribeUpdate",
        "list pods",
        "list replicasets.apps",
        "list deployments.apps",
    ),
    recheck=recheck_addon,
    act=update_addon,
    irreversible=NO_DOWNGRADE,
)


def addon_active(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    cluster, addon, to = params["cluster"], params["addon"], params["to"]
    a = describe_addon(clients, cluster, addon)
    status, version = a.get("status", "UNKNOWN"), a.get("addonVersion", "")
    mine = update_to(updates(clients("eks"), cluster, addon=addon), "AddonUpdate", "AddonVersion", to)
    if mine is not None and mine.get("status") in ("Failed", "Cancelled"):
        issues = "; ".join(
            f"{i.get('code')}: {i.get('message')}" for i in (a.get("health") or {}).get("issues") or []
        )
        raise WaitFailed(
            f"update {mine['id']} of add-on {addon} to {to} ended {mine['status']}: {errors_text(mine)}"
            + (f"; health: {issues}" if issues else "")
            + f"; it is {status} at {version}. Next: fix the cause (`aws eks describe-addon --cluster-name {cluster} "
            f"--addon-name {addon}`), then apply the plan again"
        )
    progress = f"add-on {addon} {status} at {version}"
    if status != "ACTIVE" or version != to:
        return False, f"{progress}, updating to {to}"
    return (
        settled(clients("k8s"), progress, params.get("excused") or []) if item.cluster else (True, progress)
    )


wait_condition(
    "addon-active",
    addon_active,
    description="the EKS add-on ACTIVE at its new version, and its pods running",
)
