"""Planner of `eks-upgrade` (guide: Upgrade Procedures / Upgrade EKS Cluster): the control plane (through the
Atmos stack that manages the cluster, else the EKS API), then each node group one at a time (system first),
each gated, then the add-ons EKS says need a new version for the target, then a verify step.

Read-only. It refuses what its steps cannot carry through: a target that is not exactly one minor above the
live control plane, a cluster or node group that is not ACTIVE, an update in progress on the cluster, a
node group or an add-on, a protected account, a cluster opsbook cannot reach through its Kubernetes API (the
node waits and gates read it). Everything else an upgrade should look at first (removed APIs in use, skew,
disruption budgets that block every drain, add-ons without a compatible version) is the pre-flight's
(`engine/upgrade_check.py`), not repeated here.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound, OpsbookError
from opsbook.core.kube_versions import MinorTarget
from opsbook.core.models import Resource
from opsbook.engine.eks_addon_plan import Addon, addon_changes
from opsbook.engine.eks_target import Where, resolve_eks
from opsbook.engine.eks_upgrade_stack import managing_stack, version_change
from opsbook.engine.failures import as_target_error
from opsbook.engine.workload import cluster_api
from opsbook.procedures.eks_updates import in_progress, minor, names, next_minor, updates
from opsbook.procedures.eks_verify import nodes_now, rows_of, table
from opsbook.procedures.k8s_drain import unsettled
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

NAME = "eks-upgrade"
GATE = [
    "k8s.node_not_ready",
    "k8s.pod_not_running",
    "k8s.deployment_unavailable",
]  # as scale-nodegroup, + deployments


class EksUpgradeParams(ProcedureParams):
    to: MinorTarget = Field(description="The Kubernetes minor to upgrade to (one above the control plane), e.g. 1.33.")  # fmt: skip
    stack: str | None = Field(None, description="The Atmos stack whose cluster component manages the cluster (default: the one that declares it).")  # fmt: skip
    no_stack: bool = Field(False, description="Upgrade the control plane through the EKS API even if a stack declares the cluster.")  # fmt: skip
    wait_timeout: int = Field(3600, ge=10, le=86400, description="Seconds each step may wait (control plane, each node group, each add-on).")  # fmt: skip
    poll_interval: float = Field(15, ge=0.1, le=600, description="Seconds between reads while waiting.")
    skip_preflight: bool = Field(False, description="Plan even when `opsbook upgrade check` finds blockers (said in the plan's warnings).")  # fmt: skip


NO_ROLLBACK = (
    "--rollback cannot undo an upgrade: EKS cannot downgrade the control plane, roll node groups back, or set "
    "add-ons to versions the new Kubernetes is not compatible with (only the stack's manifest edit goes back, "
    "and only while the control plane has not moved); check first (opsbook upgrade check, --dry-run)"
)


def refuse(message: str) -> InputError:
    return InputError(f"opsbook plan {NAME}: {message}")


def system_first(groups: list[str]) -> list[str]:
    """The guide's loop order: the system node group(s) first (cluster add-ons run there), then the rest."""
    return sorted(groups, key=lambda g: ("system" not in g, g))


def read_eks(eks: Any, where: Where, to: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[Addon]]:
    """The cluster, its node groups and add-ons, refusing what the upgrade's steps cannot start from."""
    label, place = where.eks_name, f"{where.account.name}/{where.region}"
    try:
        cluster = eks.describe_cluster(name=where.eks_name)["cluster"]
    except eks.exceptions.ResourceNotFoundException:
        raise NotFound(f"opsbook plan {NAME}: EKS cluster {label} not found in {place}") from None
    version, status = str(cluster.get("version", "")), cluster.get("status", "UNKNOWN")
    if status != "ACTIVE":
        raise refuse(f"cluster {label} is {status}: wait until it is ACTIVE, then plan again")
    if to != next_minor(version):
        hint = (
            f"already at {version}"
            if minor(version) == to
            else f"EKS upgrades one minor at a time: --to {next_minor(version)} first"
        )
        raise refuse(f"cluster {label} runs {version}; --to {to} is not the next minor ({hint})")
    if running := in_progress(updates(eks, where.eks_name)):
        raise refuse(f"cluster {label} has an update in progress ({running[0].get('type')} {running[0]['id']}): wait for it, then plan again")  # fmt: skip
    groups = []
    for name in system_first(names(eks, "list_nodegroups", "nodegroups", where.eks_name)):
        ng = eks.describe_nodegroup(clusterName=where.eks_name, nodegroupName=name)["nodegroup"]
        if ng.get("status") != "ACTIVE":
            raise refuse(
                f"node group {label}/{name} is {ng.get('status')}: wait until it is ACTIVE, then plan again"
            )
        groups.append(ng)
    addons = addon_changes(
        eks, where.eks_name, names(eks, "list_addons", "addons", where.eks_name), to, refuse
    )
    return cluster, groups, addons


def step(
    n: int, where: Where, kind: str, action: str, resource: Resource, reason: str, **fields: Any
) -> PlanItem:
    return PlanItem(id=f"{n:03d}", kind=kind, action=action, account=where.account.name, account_id=where.account.id,
                    region=where.region, cluster=where.cluster, resource=resource, reason=reason, **fields)  # fmt: skip


@procedure(
    NAME,
    title="Upgrade an EKS cluster: control plane, node groups one at a time (gated), add-ons, verify",
    section="Upgrade Procedures / Upgrade EKS Cluster",
    kinds=(
        "eks-cluster-version",
        "eks-version-manifest-edit",
        "eks-version-terraform-apply",
        "eks-nodegroup-version",
        "eks-addon-version",
        "eks-upgrade-verify",
    ),  # fmt: skip
    params=EksUpgradeParams,
    # the planner reads the cluster, node groups and add-ons as its verify step does (eks-upgrade-verify),
    # and runs the pre-flight: every check of cadence `upgrade`
    reads=("upgrade",),
    examples=(
        "opsbook plan eks-upgrade --cluster my-cluster --to 1.33 -o upgrade.json",
        "opsbook plan eks-upgrade --cluster my-cluster --to 1.33 --no-stack -o upgrade.json",
    ),  # fmt: skip
)
def plan_eks_upgrade(cfg: Config, params: EksUpgradeParams, request: PlanRequest) -> Plan:
    if params.stack and params.no_stack:
        raise refuse("--stack and --no-stack exclude each other")
    where = resolve_eks(cfg, request.clusters, request.accounts, request.regions, f"opsbook plan {NAME}")
    if where.cluster is None:
        raise refuse(f"{where.eks_name} must be a cluster under `clusters:` with `eks:`: the node waits and health gates read its Kubernetes API")  # fmt: skip
    if where.account.protected:
        raise refuse(
            f"account {where.account.name} is protected (protected: true): opsbook changes nothing there"
        )
    from opsbook.providers.aws.session import SessionFactory

    key = f"aws:{where.account.name}/{where.region}"
    eks = SessionFactory(cfg).client(where.account, where.region, "eks", key)
    try:
        cluster, groups, addons = read_eks(eks, where, params.to)
    except OpsbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - the account could not be read: its target error, exit 3
        raise as_target_error(
            exc, where=key, action="eks:Describe*/List* (cluster, node groups, add-ons)"
        ) from None
    warnings_first = preflight(cfg, where.cluster, params)
    with cluster_api(cfg, where.cluster, "list pods") as api:
        excused = [
            u.split(" ")[0] for u in unsettled(api, stuck_too=True)
        ]  # not settled before anything moves
        installed = [(a.name, a.version, a.status) for a in addons if a.status]  # not the core ones missing
        now = rows_of(where.eks_name, cluster, groups, nodes_now(api), installed)
    stack = None if params.no_stack else managing_stack(cfg, where, params.stack, refuse)
    items, warnings = control_plane(cfg, where, cluster, params, stack)
    warnings = warnings_first + warnings
    if params.no_stack:
        warnings += bypassed_stack(cfg, where, params.to)
    waits = {"timeout_s": params.wait_timeout, "interval_s": params.poll_interval}
    for ng in groups:
        name, version = ng["nodegroupName"], str(ng.get("version", ""))
        if minor(version) == params.to:
            warnings.append(f"node group {name} is already at {version}: no step")
            continue
        wait = {"cluster": where.eks_name, "nodegroup": name, "to": params.to, "excused": excused}
        items.append(step(len(items) + 1, where, "eks-nodegroup-version", "update-nodegroup-version",
                          Resource(id=f"{where.eks_name}/{name}", type="AWS::EKS::Nodegroup", arn=ng.get("nodegroupArn"), name=name),
                          f"node group {name}: {version} ({ng.get('releaseVersion')}) -> {params.to}, nodes replaced one by one (drained, PodDisruptionBudgets respected)",
                          params={"cluster": where.eks_name, "nodegroup": name, "to": params.to, "from": version, "release": ng.get("releaseVersion")},
                          evidence={"status": ng.get("status"), "desired": (ng.get("scalingConfig") or {}).get("desiredSize")},
                          depends_on=[items[-1].id], wait=Wait(condition="nodegroup-version", params=wait, **waits), gate=GATE))  # fmt: skip
    for a in addons:
        warnings += a.warnings
        if a.to is None:
            continue
        wait = {"cluster": where.eks_name, "addon": a.name, "to": a.to, "excused": excused}
        items.append(step(len(items) + 1, where, "eks-addon-version", "update-addon",
                          Resource(id=f"{where.eks_name}/{a.name}", type="AWS::EKS::Addon", name=a.name),
                          f"add-on {a.name}: {a.version} -> {a.to} (EKS's default for {params.to}; {a.version} is not compatible with it)",
                          params={"cluster": where.eks_name, "addon": a.name, "to": a.to, "from": a.version},
                          depends_on=[items[-1].id], wait=Wait(condition="addon-active", params=wait, **waits), gate=GATE))  # fmt: skip
    warnings.append(NO_ROLLBACK)
    expected = {a.name: a.to or a.version for a in addons if a.to is not None}
    items.append(step(len(items) + 1, where, "eks-upgrade-verify", "verify-versions",
                      Resource(id=where.eks_name, type="AWS::EKS::Cluster", arn=cluster.get("arn"), name=where.eks_name),
                      f"verify: control plane, node groups, kubelets at {params.to}; add-ons at their new versions",
                      params={"cluster": where.eks_name, "to": params.to, "addons": expected},
                      evidence={"display": [f"versions of {where.eks_name} now:", *(f"  {line}" for line in table(now))]},
                      depends_on=[items[-1].id]))  # fmt: skip
    return new_plan(NAME, items, ttl=request.ttl, ordered=True, accounts=[where.account.name], regions=[where.region],
                    parameters=params.model_dump(mode="json") | {"cluster": where.cluster}, warnings=warnings)  # fmt: skip


def preflight(cfg: Config, cluster: str, params: EksUpgradeParams) -> list[str]:
    """Step 1, the pre-flight (`opsbook upgrade check`): its blockers refuse the plan (unless
    --skip-preflight), its warnings and what it could not read become the plan's warnings."""
    from opsbook.core.models import Status
    from opsbook.engine.upgrade_check import blockers as blocking
    from opsbook.engine.upgrade_check import check_upgrade

    found = [f for f in check_upgrade(cfg, cluster, params.to) if f.status != Status.PASS]
    blockers = blocking(found)
    lines = [f"pre-flight {f.check_id}: {f.message}" for f in found if f not in blockers]
    if blockers and not params.skip_preflight:
        shown = "; ".join(f"{f.check_id}: {f.message}" for f in blockers[:3])
        more = f" (+{len(blockers) - 3} more)" if len(blockers) > 3 else ""
        raise refuse(f"the pre-flight found {len(blockers)} blocker(s): {shown}{more}; see `opsbook upgrade check "
                     f"--cluster {cluster} --to {params.to}`, or plan with --skip-preflight")  # fmt: skip
    return [
        f"pre-flight BLOCKER ignored (--skip-preflight) {f.check_id}: {f.message}" for f in blockers
    ] + lines


def bypassed_stack(cfg: Config, where: Where, to: str) -> list[str]:
    """With --no-stack, a stack that declares the cluster keeps its old version: say so (it is not refused)."""
    try:
        stack = managing_stack(cfg, where, None, refuse)
    except OpsbookError:
        return []  # several stacks, or none readable: nothing certain to say
    if stack is None:
        return []
    return [f"{stack[1]} -s {stack[0]} declares {where.eks_name} and still names the old version: set its "
            f"kubernetes_version to {to} (opsbook plan stack-set), or its next terraform apply tries a downgrade"]  # fmt: skip


def control_plane(
    cfg: Config,
    where: Where,
    cluster: dict[str, Any],
    params: EksUpgradeParams,
    stack: tuple[str, str] | None,
) -> tuple[list[PlanItem], list[str]]:
    """The control plane's step(s): the stack's edit and apply, or UpdateClusterVersion; both wait for it."""
    version, to = str(cluster.get("version", "")), params.to
    ids = {"cluster": where.eks_name, "to": to, "from": version}
    wait = Wait(condition="cluster-version", params={"cluster": where.eks_name, "to": to},
                timeout_s=params.wait_timeout, interval_s=params.poll_interval)  # fmt: skip
    if stack is None:
        resource = Resource(
            id=where.eks_name, type="AWS::EKS::Cluster", arn=cluster.get("arn"), name=where.eks_name
        )
        why = "--no-stack" if params.no_stack else "no stack declares the cluster"
        reason = f"control plane {version} -> {to} (EKS API: {why}; EKS usually takes 15-20 min)"
        note = [] if params.no_stack else [f"no Atmos stack declares {where.eks_name}: the control plane is upgraded through the EKS API"]  # fmt: skip
        return [step(1, where, "eks-cluster-version", "update-cluster-version", resource, reason, params=ids,
                     wait=wait, gate=GATE)], note  # fmt: skip
    change = version_change(cfg, stack[0], stack[1], to, refuse)
    if change.where["account"] != where.account.name:
        raise refuse(
            f"stack {stack[0]} acts in account {change.where['account']}, the cluster is in {where.account.name}"
        )
    edits = change.edit_items("eks-version-manifest-edit", extra=ids)
    applied = change.apply_item(len(edits) + 1, "eks-version-terraform-apply", extra=ids, cluster=where.cluster,
                                depends_on=[e.id for e in edits], wait=wait, gate=GATE)  # fmt: skip
    reason = (
        f"control plane {version} -> {to} through the stack ({applied.reason}; EKS usually takes 15-20 min)"
    )
    applied = applied.model_copy(update={"reason": reason})
    others = [  # what Terraform changes besides the version (drift between the stack and its state)
        c["address"] for c in change.tf_changes if not any(isinstance(v[1], str) and minor(v[1]) == to for v in c["diff"].values())
    ]  # fmt: skip
    also = f"terraform apply {stack[1]} -s {stack[0]} also changes {', '.join(others)}: the stack and its state differ there today (see its plan)"  # fmt: skip
    return [*edits, applied], [also] if others else []
