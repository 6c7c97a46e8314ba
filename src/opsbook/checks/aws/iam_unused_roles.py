"""First of month (and the Access Review): IAM roles not assumed in N days (RoleLastUsed; a role never
used counts from its creation). Service-linked roles belong to their service and are left out."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from opsbook.collect.aws.access_models import IamAccess
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity
from opsbook.core.settings import CheckSettings


class Settings(CheckSettings):
    unused_days: int = Field(90, ge=1, description="a role not used for this many days fails")


@check(
    id="iam.unused_roles",
    title="IAM roles not used for 90 days",
    section="Monthly Tasks / First of Month: Security Audit",
    cadence=("monthly:audit",),
    severity=Severity.LOW,
    needs=("iam.access",),
    remediation="aws iam get-role --role-name <role> (RoleLastUsed); remove the role from its stack "
    "or delete it: aws iam delete-role --role-name <role>",
    settings=Settings,
)
def unused_roles(ctx: CheckContext) -> Iterable[Finding]:
    access: IamAccess | None = ctx["iam.access"]
    if access is None:
        return
    limit = ctx.settings.unused_days
    for r in access.roles:
        if r.service_linked:
            continue
        last = r.last_used or r.created
        days = (ctx.now - last).days if last else None
        what = "last used" if r.last_used else "created, never used,"
        res = Resource(id=r.arn, type="AWS::IAM::Role", arn=r.arn, name=r.name)
        info = {
            "created": r.created.isoformat() if r.created else None,
            "last_used": r.last_used.isoformat() if r.last_used else None,
            "unused_days": days,
            "limit_days": limit,
            "policies": r.policies,
        }
        if days is None or days < limit:
            yield ctx.passed(f"{r.name}: {what} {days} days ago", res, **info)
        else:
            yield ctx.failed(f"{r.name}: {what} {days} days ago", res, None, **info)
