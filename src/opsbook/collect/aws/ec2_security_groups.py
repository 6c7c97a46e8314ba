"""Security groups and how many network interfaces use each (one listing of each per target)."""

from __future__ import annotations

from collections import Counter

from opsbook.collect.aws.security_models import SecurityGroupUse
from opsbook.core.collectors import CollectContext, collector


@collector(
    "ec2.security_group_use",
    permissions=("ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"),
)
def security_group_use(ctx: CollectContext) -> list[SecurityGroupUse]:
    ec2 = ctx.client("ec2")
    used: Counter[str] = Counter()
    for page in ec2.get_paginator("describe_network_interfaces").paginate():
        for eni in page.get("NetworkInterfaces", []):
            used.update({g["GroupId"] for g in eni.get("Groups", [])})
    out: list[SecurityGroupUse] = []
    for page in ec2.get_paginator("describe_security_groups").paginate():
        for g in page.get("SecurityGroups", []):
            out.append(
                SecurityGroupUse(
                    id=g["GroupId"],
                    name=g.get("GroupName", ""),
                    vpc_id=g.get("VpcId"),
                    description=g.get("Description", ""),
                    interfaces=used[g["GroupId"]],
                    tags={t["Key"]: t["Value"] for t in g.get("Tags", [])},
                )
            )
    return out
