"""Security groups, how many network interfaces use each, and which other groups' rules reference each
(one listing of each per target)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from opsbook.collect.aws.drift_models import rule_key
from opsbook.collect.aws.security_models import GroupReference, SecurityGroupUse
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
    pages = ec2.get_paginator("describe_security_groups").paginate()
    groups = [g for page in pages for g in page.get("SecurityGroups", [])]
    refs = references(groups)
    return [
        SecurityGroupUse(
            id=g["GroupId"],
            name=g.get("GroupName", ""),
            vpc_id=g.get("VpcId"),
            description=g.get("Description", ""),
            interfaces=used[g["GroupId"]],
            referenced_by=tuple(refs.get(g["GroupId"], ())),
            tags={t["Key"]: t["Value"] for t in g.get("Tags", [])},
            ingress=live_rules(g.get("IpPermissions", [])),
            egress=live_rules(g.get("IpPermissionsEgress", [])),
        )
        for g in groups
    ]


def references(groups: list[dict[str, Any]]) -> dict[str, list[GroupReference]]:
    """group id -> the rules of *other* groups that name it (ingress `IpPermissions`, egress
    `IpPermissionsEgress`, each `UserIdGroupPairs` entry). A group's rule naming itself does not keep it
    in use: AWS deletes such a group with its rules."""
    out: dict[str, list[GroupReference]] = defaultdict(list)
    for g in groups:
        for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
            for rule in g.get(key, []):
                for pair in rule.get("UserIdGroupPairs", []):
                    target = pair.get("GroupId")
                    if not target or target == g["GroupId"]:
                        continue
                    out[target].append(
                        GroupReference(
                            group_id=g["GroupId"],
                            group_name=g.get("GroupName", ""),
                            direction=direction,
                            protocol=str(rule.get("IpProtocol", "-1")),
                            from_port=rule.get("FromPort"),
                            to_port=rule.get("ToPort"),
                        )
                    )
    return out


def live_rules(permissions: list[dict[str, Any]]) -> tuple[str, ...]:
    """A group's rules as AWS lists them (`IpPermissions`), one key per source, sorted."""
    out: set[str] = set()
    for p in permissions:
        sources = (
            [r["CidrIp"] for r in p.get("IpRanges", [])]
            + [r["CidrIpv6"] for r in p.get("Ipv6Ranges", [])]
            + [r["GroupId"] for r in p.get("UserIdGroupPairs", []) if r.get("GroupId")]
            + [r["PrefixListId"] for r in p.get("PrefixListIds", [])]
        )
        out.update(rule_key(p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"), s) for s in sources)
    return tuple(sorted(out))
