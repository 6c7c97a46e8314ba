"""Planner of `scale-nodegroup` (guide: Scaling Procedures / Scale EKS Node Groups, and the emergency
scale-out): `aws eks update-nodegroup-config --scaling-config ...`, then `watch kubectl get nodes` until the
new nodes are Ready, as one gated, reversible step.

Read-only. It refuses what cannot work: a cluster or node group that is not there (naming those that are),
a protected account, sizes EKS would reject (min > max, desired outside [min, max]), a node group in the
middle of another update, a scale-in that leaves the running pods' requests no room (engine/node_fit.py), and a desired size whose extra nodes need more on-demand vCPUs than the account's
quota leaves (quota L-1216C47A minus the running standard instances; a quota it cannot read is a warning).
The step's reason shows current -> proposed sizes and the monthly cost of the nodes added or removed, from
the instance type's list price (checks/aws/pricing.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from opsbook.checks.aws import pricing
from opsbook.collect.aws import quotas
from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound, OpsbookError
from opsbook.core.models import Resource
from opsbook.engine.eks_target import Where, resolve_eks
from opsbook.engine.failures import as_target_error
from opsbook.engine.node_fit import fit_after_removing
from opsbook.engine.workload import cluster_api
from opsbook.procedures.eks_nodegroup import SETTLED, SIZES, sizes_of, sizes_text, text
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

NAME = "scale-nodegroup"
GATE = ("k8s.node_not_ready", "k8s.pod_not_running")


class ScaleNodegroupParams(ProcedureParams):
    nodegroup: str = Field(min_length=1, max_length=63, description="The EKS managed node group to scale.")
    min: int | None = Field(None, ge=0, le=1000, description="New minimum size (default: unchanged).")
    max: int | None = Field(None, ge=1, le=1000, description="New maximum size (default: unchanged).")
    desired: int | None = Field(None, ge=0, le=1000, description="New desired size (default: unchanged).")
    timeout: int = Field(900, ge=30, le=86400, description="Seconds to wait for the nodes to be Ready.")


def refuse(message: str, procedure: str = NAME) -> InputError:
    return InputError(f"opsbook plan {procedure}: {message}")


def resolve(cfg: Config, request: PlanRequest, procedure: str = NAME) -> Where:
    """The request's one cluster (engine/eks_target.py), errors naming `opsbook plan <procedure>`."""
    return resolve_eks(cfg, request.clusters, request.accounts, request.regions, f"opsbook plan {procedure}")


def proposed_sizes(now: dict[str, int], params: ScaleNodegroupParams) -> dict[str, int]:
    new = {k: getattr(params, k) if getattr(params, k) is not None else now[k] for k in SIZES}
    if new["min"] > new["max"]:
        raise refuse(f"--min {new['min']} is above --max {new['max']}")
    if not new["min"] <= new["desired"] <= new["max"]:
        hint = " (raise --max as well)" if params.max is None and new["desired"] > new["max"] else ""
        hint = hint or (
            " (lower --min as well)" if params.min is None and new["desired"] < new["min"] else ""
        )
        raise refuse(f"--desired {new['desired']} is outside [{new['min']}, {new['max']}] (min, max){hint}")
    if new == now:
        raise refuse(f"the node group is already at {text(now)}: nothing to change")
    return new


def find_nodegroup(eks: Any, where: Where, nodegroup: str) -> dict[str, Any]:
    place = f"{where.account.name}/{where.region}"

    def names(operation: str, key: str, **kwargs: Any) -> list[str]:
        return [n for page in eks.get_paginator(operation).paginate(**kwargs) for n in page.get(key, [])]

    clusters = names("list_clusters", "clusters")
    if where.eks_name not in clusters:
        raise NotFound(
            f"opsbook plan {NAME}: EKS cluster {where.eks_name} not found in {place} "
            f"(have: {', '.join(sorted(clusters)) or 'none'})"
        )
    groups = names("list_nodegroups", "nodegroups", clusterName=where.eks_name)
    if nodegroup not in groups:
        raise NotFound(
            f"opsbook plan {NAME}: node group {nodegroup!r} not found in {where.eks_name} ({place}; "
            f"have: {', '.join(sorted(groups)) or 'none'})"
        )
    found: dict[str, Any] = eks.describe_nodegroup(clusterName=where.eks_name, nodegroupName=nodegroup)[
        "nodegroup"
    ]
    return found


def quota_check(
    client: Any, where: Where, itype: str, extra_nodes: int, max_extra: int, warnings: list[str]
) -> dict[str, Any]:
    """Refuse extra nodes beyond the vCPU quota headroom; warn for a max beyond it or an unreadable quota."""
    if extra_nodes <= 0 and max_extra <= 0:
        return {}
    if not quotas.is_standard(itype):
        warnings.append(f"{itype} is not a standard instance family: its vCPU quota was not checked")
        return {}
    try:
        vcpus = quotas.vcpus_of(client("ec2"), [itype]).get(itype)
        room = quotas.standard_headroom(client("ec2"), client("service-quotas"))
    except Exception as exc:  # noqa: BLE001 - an unreadable quota is a warning, not a refusal
        warnings.append(f"the EC2 vCPU quota ({quotas.STANDARD_QUOTA}) could not be read, headroom not checked: "
                        f"{as_target_error(exc, where=where.account.name, action='servicequotas:GetServiceQuota')}")  # fmt: skip
        return {}
    if not vcpus:
        warnings.append(f"vCPUs of {itype} unknown: its quota headroom was not checked")
        return {}
    seen = {
        "quota_vcpus": room.quota,
        "running_vcpus": room.used,
        "headroom_vcpus": room.free,
        "vcpus_per_node": vcpus,
    }
    if extra_nodes * vcpus > room.free:
        raise refuse(
            f"{extra_nodes} more {itype} nodes need {extra_nodes * vcpus} vCPUs; the account's on-demand standard "
            f"vCPU quota ({quotas.STANDARD_QUOTA}) leaves {room.free} in {where.account.name}/{where.region} "
            f"({room.quota:g} minus {room.used} running): raise the quota first"
        )
    if max_extra * vcpus > room.free:
        warnings.append(f"--max allows {max_extra} more nodes ({max_extra * vcpus} vCPUs), beyond the quota "
                        f"headroom of {room.free} vCPUs: scaling out that far would fail")  # fmt: skip
    return seen


def cost(where: Where, itype: str | None, delta_nodes: int, warnings: list[str]) -> dict[str, Any]:
    if not itype:
        warnings.append("the node group names no instance type (launch template): no cost estimate")
        return {}
    hourly, source = pricing.ec2_instance_hour(where.region, itype)
    if hourly is None:
        warnings.append(f"no list price for {itype} in prices.json: no cost estimate")
        return {}
    month = round(delta_nodes * hourly * pricing.hours(), 2)
    return {"hourly_usd": hourly, "cost_delta_usd_month": month, "price_source": source}


def read_cluster(cfg: Config, cluster: str, *, pods: bool) -> tuple[list[Any], list[Any]]:
    """The cluster's nodes, and its pods when asked (a scale-in must know what still has to fit)."""
    from opsbook.collect.k8s.convert import node, pod

    with cluster_api(cfg, cluster, "list nodes") as api:
        found = [node(n) for n in api.list_items("/api/v1/nodes")]
        return found, [pod(p) for p in api.list_items("/api/v1/pods")] if pods else []


def refuse_unless_fits(
    nodes: list[Any], pods: list[Any], label: str, nodegroup: str, remove: int
) -> dict[str, Any]:
    """A scale-in that leaves less CPU, memory or pod slots than the running pods request is refused."""
    fit = fit_after_removing(nodes, pods, nodegroup, remove)
    if fit.short:
        raise refuse(
            f"removing {remove} nodes of {label} leaves too little for the running pods: "
            + "; ".join(fit.short)
            + " (scale the workloads down first, or remove fewer nodes)"
        )
    return {"requested_cpu_m": fit.cpu_m[0], "cpu_m_left": fit.cpu_m[1], "pods_running": fit.pods[0],
            "pod_slots_left": fit.pods[1]}  # fmt: skip


@procedure(
    NAME,
    title="Scale an EKS node group, wait until its nodes are Ready, gate on the node and pod checks",
    section="Scaling Procedures / Scale EKS Node Groups",
    kinds=("eks-nodegroup-scale",),
    params=ScaleNodegroupParams,
    permissions=(
        "eks:ListClusters",
        "eks:ListNodegroups",
        "eks:DescribeNodegroup",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeInstances",
        "servicequotas:GetServiceQuota",
    ),  # the node group, and the vCPU quota headroom a scale-up needs
    examples=(
        "opsbook plan scale-nodegroup --cluster my-cluster --nodegroup application --max 8 --desired 7 -o plan.json",
    ),
)
def plan_scale_nodegroup(cfg: Config, params: ScaleNodegroupParams, request: PlanRequest) -> Plan:
    if all(getattr(params, k) is None for k in SIZES):
        raise refuse("give at least one of --min, --max, --desired")
    where = resolve(cfg, request)
    if where.account.protected:
        raise refuse(
            f"account {where.account.name} is protected (protected: true): opsbook changes nothing there"
        )
    from opsbook.providers.aws.session import SessionFactory

    sessions = SessionFactory(cfg)
    key = f"aws:{where.account.name}/{where.region}"

    def client(service: str) -> Any:
        return sessions.client(where.account, where.region, service, key)

    warnings: list[str] = []
    try:
        ng = find_nodegroup(client("eks"), where, params.nodegroup)
    except OpsbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - the account could not be read: its target error, exit 3
        raise as_target_error(exc, where=key, action="eks:DescribeNodegroup") from None
    now, status = sizes_of(ng), ng.get("status", "UNKNOWN")
    new = proposed_sizes(now, params)
    label = f"{where.eks_name}/{params.nodegroup}"
    if status not in SETTLED:
        raise refuse(f"node group {label} is {status}: wait until it is ACTIVE, then plan again")
    if status == "DEGRADED":
        warnings.append(f"node group {label} is DEGRADED: {ng.get('health', {}).get('issues')}")
    itype = (ng.get("instanceTypes") or [None])[0]
    delta = new["desired"] - now["desired"]
    evidence: dict[str, Any] = {**now, "status": status, "instance_type": itype}
    if itype:
        evidence |= quota_check(client, where, itype, delta, new["max"] - now["desired"], warnings)
    evidence |= cost(where, itype, delta, warnings)
    not_ready: list[str] = []
    if where.cluster is not None:
        every, pods = read_cluster(cfg, where.cluster, pods=delta < 0)
        nodes = [n for n in every if n.nodegroup == params.nodegroup]
        not_ready = sorted(n.name for n in nodes if n.ready != "True")
        evidence |= {"nodes": len(nodes), "nodes_not_ready": not_ready}
        if delta < 0:
            evidence |= refuse_unless_fits(every, pods, label, params.nodegroup, -delta)
    else:
        warnings.append(
            f"{where.eks_name} is not under `clusters:`: its Kubernetes nodes are not waited for or gated"
        )
    money = evidence.get("cost_delta_usd_month")
    change = (f"{delta:+d} {itype} nodes" if itype else f"{delta:+d} nodes") if delta else "same node count"
    price = f", {'+' if money >= 0 else '-'}${abs(money):,.2f}/month" if money is not None and delta else ""
    wait_params = {"cluster": where.eks_name, "nodegroup": params.nodegroup, **new,
                   "statuses": ["ACTIVE", "DEGRADED"] if status == "DEGRADED" else ["ACTIVE"],
                   "not_ready_before": not_ready}  # fmt: skip
    item = PlanItem(
        id="001",
        kind="eks-nodegroup-scale",
        action="scale-nodegroup",
        account=where.account.name,
        account_id=where.account.id,
        region=where.region,
        cluster=where.cluster,
        resource=Resource(
            id=label, type="AWS::EKS::Nodegroup", arn=ng.get("nodegroupArn"), name=params.nodegroup
        ),
        reason=f"node group {label}: {text(now)} -> {sizes_text(new)} ({change}{price})",
        evidence=evidence,
        params={"cluster": where.eks_name, "nodegroup": params.nodegroup, **new, "from": now},
        wait=Wait(condition="nodegroup-scaled", params=wait_params, timeout_s=params.timeout, interval_s=2),
        gate=list(GATE) if where.cluster else [],
    )
    return new_plan(
        NAME,
        [item],
        ttl=request.ttl,
        ordered=True,
        accounts=[where.account.name],
        regions=[where.region],
        parameters=params.model_dump(mode="json") | {"cluster": request.clusters[0]},
        warnings=warnings,
    )
