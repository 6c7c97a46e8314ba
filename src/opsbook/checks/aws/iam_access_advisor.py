"""Monday: roles and users granted services they have not used in N days (IAM access advisor)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from opsbook.collect.aws.iam import AccessAdvisorSettings
from opsbook.collect.aws.security_models import AccessAdvice
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity, Status

Settings = (
    AccessAdvisorSettings  # declared by its collector (collect/aws/iam.py), which reads the poll bounds
)


@check(
    id="iam.unused_services",
    title="IAM roles and users granted services they do not use (access advisor)",
    section="Weekly Tasks / Monday: Security Review",
    cadence=("weekly:monday",),
    severity=Severity.MEDIUM,
    needs=("iam.access_advice",),
    permissions=(
        "iam:GetAccountAuthorizationDetails",
        "iam:GenerateServiceLastAccessedDetails",
        "iam:GetServiceLastAccessedDetails",
    ),
    remediation="aws iam generate-service-last-accessed-details --arn <arn>; remove the unused services "
    "from the principal's policies",
    settings=Settings,
)
def unused_services(ctx: CheckContext) -> Iterable[Finding]:
    advice: list[AccessAdvice] | None = ctx["iam.access_advice"]
    if advice is None:  # IAM is account-wide: read in the account's first region only
        return
    since = ctx.now - timedelta(days=ctx.settings.unused_days)
    for a in advice:
        res = Resource(
            id=a.arn, type="AWS::IAM::Role" if a.kind == "role" else "AWS::IAM::User", arn=a.arn, name=a.name
        )
        if a.status != "COMPLETED":
            yield ctx.finding(
                Status.ERROR,
                f"access advisor job {a.job_id} for {a.kind} {a.name} {a.status.lower()}: {a.error or 'no detail'}",
                res,
                None,
                job_id=a.job_id,
                job_status=a.status,
            )
            continue
        unused = [s for s in a.services if s.last_authenticated is None or s.last_authenticated < since]
        info = {
            "granted": len(a.services),
            "unused": [
                {
                    "service": s.namespace,
                    "last_used": s.last_authenticated.isoformat() if s.last_authenticated else None,
                }
                for s in unused
            ],
            "unused_days": ctx.settings.unused_days,
            "job_id": a.job_id,
        }
        if unused:
            names = ", ".join(s.namespace for s in unused[:8]) + (" ..." if len(unused) > 8 else "")
            yield ctx.failed(
                f"{a.kind} {a.name}: {len(unused)} of {len(a.services)} granted services unused for "
                f"{ctx.settings.unused_days}+ days ({names})",
                res,
                None,
                **info,
            )
        elif not a.services:
            yield ctx.passed(f"{a.kind} {a.name}: access advisor reports no granted services", res, **info)
        else:
            yield ctx.passed(f"{a.kind} {a.name} uses all {len(a.services)} granted services", res, **info)
