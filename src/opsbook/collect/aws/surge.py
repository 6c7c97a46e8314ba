"""What a managed node group update's surge draws on (upgrade pre-flight, `upgrade.surge_capacity`): the
region's standard on-demand vCPU quota and the vCPUs running instances already use of it (from the
listed `ec2.instances`), the node groups' instance types (vCPUs, IPv4 addresses per interface) and their
subnets' free addresses. One GetServiceQuota, one DescribeInstanceTypes, one DescribeSubnets."""

from __future__ import annotations

from opsbook.collect.aws import quotas
from opsbook.collect.aws.upgrade_models import InstanceTypeInfo, SubnetInfo, SurgeCapacity
from opsbook.core.collectors import CollectContext, collector

RUNNING = ("pending", "running")


@collector(
    "eks.surge_capacity",
    permissions=("servicequotas:GetServiceQuota", "ec2:DescribeInstanceTypes", "ec2:DescribeSubnets"),
    deps=("eks.clusters_with_nodegroups", "ec2.instances"),
)
def surge_capacity(ctx: CollectContext) -> SurgeCapacity:
    groups = [ng for c in ctx.get("eks.clusters_with_nodegroups") for ng in c.nodegroups]
    running = [
        i.type
        for i in ctx.get("ec2.instances")
        if i.state in RUNNING and quotas.counts_against_standard(i.type, i.lifecycle)
    ]
    ec2 = ctx.client("ec2")
    types = quotas.instance_types(ec2, {*running, *(t for ng in groups for t in ng.instance_types)})
    subnet_ids = sorted({s for ng in groups for s in ng.subnets})
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"] if subnet_ids else []
    return SurgeCapacity(
        quota_vcpus=quotas.standard_quota(ctx.client("service-quotas")),
        running_vcpus=sum(types[t].vcpus for t in running if t in types),
        instance_types={
            name: InstanceTypeInfo(vcpus=t.vcpus, ipv4_per_interface=t.ipv4_per_interface)
            for name, t in types.items()
        },
        subnets={
            s["SubnetId"]: SubnetInfo(
                id=s["SubnetId"],
                zone=s.get("AvailabilityZone", ""),
                free_ips=int(s.get("AvailableIpAddressCount", 0)),
            )
            for s in subnets
        },
    )
