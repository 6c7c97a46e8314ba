"""First of month: ACM certificates expiring soon or whose managed renewal failed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from opsbook.collect.aws.security_models import Certificate
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    days: int = Field(30, ge=1, description="certificates expiring within this many days fail")


@check(
    id="acm.certificate_expiry",
    title="ACM certificates expiring within 30 days or failing renewal",
    section="Monthly Tasks / First of Month: Security Audit",
    cadence=("monthly:audit",),
    severity=Severity.HIGH,
    needs=("acm.certificates",),
    permissions=("acm:ListCertificates", "acm:DescribeCertificate"),
    remediation="aws acm describe-certificate --certificate-arn <arn>; fix DNS validation for managed "
    "certificates or re-import a renewed one: aws acm import-certificate --certificate-arn <arn> ...",
    settings=Settings,
)
def certificate_expiry(ctx: CheckContext) -> Iterable[Finding]:
    certs: list[Certificate] = ctx["acm.certificates"]
    horizon = ctx.now + timedelta(days=ctx.settings.days)
    for c in certs:
        res = Resource(id=c.arn, type="AWS::CertificateManager::Certificate", arn=c.arn, name=c.domain)
        info = {
            "domain": c.domain,
            "status": c.status,
            "type": c.type,
            "not_after": c.not_after.isoformat() if c.not_after else None,
            "renewal_status": c.renewal_status,
            "in_use_by": c.in_use_by,
        }
        problems = []
        if c.status == "EXPIRED" or (c.not_after is not None and c.not_after < ctx.now):
            problems.append("expired")
        elif c.not_after is not None and c.not_after <= horizon:
            problems.append(f"expires in {(c.not_after - ctx.now).days} days ({c.not_after:%Y-%m-%d})")
        if c.renewal_status == "FAILED":
            problems.append(f"renewal failed ({c.renewal_reason or 'no reason given'})")
        if problems:
            sev = Severity.CRITICAL if c.in_use_by and "expired" in problems else None
            yield ctx.failed(f"certificate {c.domain}: {'; '.join(problems)}", res, sev, **info)
        elif c.not_after is not None:
            yield ctx.passed(f"certificate {c.domain} valid until {c.not_after:%Y-%m-%d}", res, **info)
