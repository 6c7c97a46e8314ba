"""Monday: security groups attached to no network interface (default groups excluded)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.collect.aws.security_models import SecurityGroupUse
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


@check(
    id="ec2.unused_security_groups",
    title="Security groups attached to no network interface",
    section="Weekly Tasks / Monday: Security Review",
    cadence=("weekly:monday",),
    severity=Severity.LOW,
    needs=("ec2.security_group_use",),
    permissions=("ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"),
    remediation="Confirm nothing references it, then: aws ec2 delete-security-group --group-id <id> "
    "(or remove it from its Terraform component)",
)
def unused_security_groups(ctx: CheckContext) -> Iterable[Finding]:
    groups: list[SecurityGroupUse] = ctx["ec2.security_group_use"]
    for g in groups:
        if g.name == "default":
            continue
        res = Resource(id=g.id, type="AWS::EC2::SecurityGroup", name=g.name)
        info = {"name": g.name, "vpc": g.vpc_id, "interfaces": g.interfaces}
        if g.interfaces:
            yield ctx.passed(f"{g.id} ({g.name}) is used by {g.interfaces} network interfaces", res, **info)
        else:
            yield ctx.failed(f"{g.id} ({g.name}) is attached to no network interface", res, None, **info)
