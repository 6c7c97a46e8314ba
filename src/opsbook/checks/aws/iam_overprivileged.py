"""First of month: over-privileged roles, users and customer-managed policies (local policy evaluation)."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from pydantic import BaseModel, Field

from opsbook.checks.aws.iam_policy import evaluate
from opsbook.collect.aws.security_models import AuthorizationDetails
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity

TYPES = {"role": "AWS::IAM::Role", "user": "AWS::IAM::User", "policy": "AWS::IAM::ManagedPolicy"}


class Settings(BaseModel):
    ignore: list[str] = Field(
        default_factory=lambda: ["OrganizationAccountAccessRole"],
        description="names (glob patterns) of roles, users or policies that are meant to be privileged",
    )


@check(
    id="iam.overprivileged",
    title="Over-privileged IAM roles, users and policies",
    section="Monthly Tasks / First of Month: Security Audit",
    cadence=("monthly:audit",),
    severity=Severity.HIGH,
    needs=("iam.authorization_details",),
    permissions=("iam:GetAccountAuthorizationDetails",),
    remediation="aws iam get-account-authorization-details > iam-audit-$(date +%Y%m).json; replace `*` grants "
    "with the actions and resources the workload needs; scope iam:PassRole to specific role ARNs",
    settings=Settings,
)
def overprivileged(ctx: CheckContext) -> Iterable[Finding]:
    details: AuthorizationDetails | None = ctx["iam.authorization_details"]
    if details is None:  # IAM is account-wide: read in the account's first region only
        return
    for p in details.roles + details.users + details.policies:
        if p.path.startswith("/aws-service-role/") or any(
            fnmatchcase(p.name, g) for g in ctx.settings.ignore
        ):
            continue
        ev = evaluate(p.documents)
        res = Resource(id=p.arn, type=TYPES[p.kind], arn=p.arn, name=p.name)
        info = ev.details()
        if ev.clean:
            yield ctx.passed(f"{p.kind} {p.name}: no admin, service-wide or escalation grants", res, **info)
            continue
        if ev.full_admin:
            sev, what = Severity.CRITICAL, f"full admin via {', '.join(ev.full_admin)}"
        elif ev.escalations:
            sev = Severity.HIGH
            what = "privilege escalation via " + "; ".join(" + ".join(c) for c in ev.escalations[:3])
            if ev.service_wildcards:
                what += f"; service-wide {', '.join(ev.service_wildcards)}"
        else:
            sev, what = Severity.MEDIUM, f"service-wide grants {', '.join(ev.service_wildcards)} on *"
        yield ctx.failed(f"{p.kind} {p.name}: {what}", res, ctx.severity or sev, **info)
