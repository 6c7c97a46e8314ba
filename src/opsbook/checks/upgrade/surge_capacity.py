"""Pre-flight: room for each node group's surge. A managed node group update first adds nodes: the larger
of twice the Availability Zones of its subnets and its updateConfig's maxUnavailable. Node groups update
one at a time, so each group's surge alone must fit the region's free on-demand standard vCPUs (quota
L-1216C47A minus what runs) and its subnets' free IPv4 addresses (each new node takes at least one network
interface's worth with the VPC CNI's defaults)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION, nodegroup_resource
from opsbook.collect.aws import quotas
from opsbook.collect.aws.models import EksCluster, NodeGroup
from opsbook.collect.aws.upgrade_models import SurgeCapacity
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity


def max_unavailable(ng: NodeGroup) -> int:
    if ng.max_unavailable:
        return ng.max_unavailable
    if ng.max_unavailable_percentage:
        return max(1, math.ceil(ng.desired * ng.max_unavailable_percentage / 100))
    return 1  # EKS's default updateConfig


def surge_nodes(ng: NodeGroup, cap: SurgeCapacity) -> int:
    zones = {cap.subnets[s].zone for s in ng.subnets if s in cap.subnets}
    return max(2 * max(len(zones), 1), max_unavailable(ng))


def problems(ng: NodeGroup, cap: SurgeCapacity, surge: int, notes: list[str]) -> list[str]:
    found: list[str] = []
    itype = ng.instance_types[0] if ng.instance_types else None
    info = cap.instance_types.get(itype or "")
    if itype is None or info is None:
        notes.append("instance type unknown (launch template): vCPUs and IPs not checked")
        return found
    if ng.capacity_type == "SPOT" or not quotas.is_standard(itype):
        notes.append(
            f"{ng.capacity_type.lower()} {itype}: not under the standard on-demand quota, not checked"
        )
    elif surge * info.vcpus > cap.free_vcpus:
        found.append(f"{surge} surge nodes x {info.vcpus} vCPUs of {itype} need {surge * info.vcpus}; the "
                     f"standard on-demand quota ({quotas.STANDARD_QUOTA}) leaves {cap.free_vcpus} "
                     f"({cap.quota_vcpus:g} minus {cap.running_vcpus} running)")  # fmt: skip
    free_ips = sum(cap.subnets[s].free_ips for s in ng.subnets if s in cap.subnets)
    need_ips = surge * (info.ipv4_per_interface or 1)
    if need_ips > free_ips:
        found.append(
            f"{surge} surge nodes need at least {need_ips} IPv4 addresses; its subnets have {free_ips} free"
        )
    return found


@check(
    id="upgrade.surge_capacity",
    title="Room for each node group's surge (vCPU quota, subnet IPs)",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    needs=("eks.clusters_with_nodegroups", "eks.surge_capacity"),
    remediation="request a higher quota (aws service-quotas request-service-quota-increase --service-code ec2 "
    "--quota-code L-1216C47A --desired-value N), free or add subnet addresses, or lower maxUnavailable",
)
def surge_capacity(ctx: CheckContext) -> Iterable[Finding]:
    clusters: list[EksCluster] = ctx["eks.clusters_with_nodegroups"]
    cap: SurgeCapacity = ctx["eks.surge_capacity"]
    for c in clusters:
        for ng in c.nodegroups:
            res, label = nodegroup_resource(c, ng), f"node group {c.name}/{ng.name}"
            surge, notes = surge_nodes(ng, cap), list[str]()
            found = problems(ng, cap, surge, notes)
            info = {"surge_nodes": surge, "free_vcpus": cap.free_vcpus, "notes": notes}
            if found:
                yield ctx.failed(f"{label}: " + "; ".join(found), res, None, **info)
            else:
                yield ctx.passed(f"{label}: room for its {surge} surge nodes" + (f" ({'; '.join(notes)})" if notes else ""),
                                 res, **info)  # fmt: skip
