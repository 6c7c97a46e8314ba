"""Monday: security groups attached to no network interface and referenced by no other group's rule
(default groups excluded). A group another group's rule names is in use: AWS refuses to delete it
(DependencyViolation), so it passes, naming the rules."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.collect.aws.security_models import SecurityGroupUse
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


@check(
    id="ec2.unused_security_groups",
    title="Security groups attached to no network interface and referenced by no other group",
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
        rules = [r.describe() for r in g.referenced_by]
        info = {"name": g.name, "vpc": g.vpc_id, "interfaces": g.interfaces, "referenced_by": rules}
        uses = []
        if g.interfaces:
            uses.append(f"{g.interfaces} network interfaces")
        if rules:
            uses.append("the rule(s) " + "; ".join(rules))
        if uses:
            yield ctx.passed(f"{g.id} ({g.name}) is used by {' and '.join(uses)}", res, **info)
        else:
            yield ctx.failed(
                f"{g.id} ({g.name}) is attached to no network interface and referenced by no other group's rule",
                res,
                None,
                **info,
            )
