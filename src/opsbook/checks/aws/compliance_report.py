"""End of month: the AWS Config compliance report (saved with the run as compliance-YYYYMM.json)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from opsbook.core import exports
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity

EXPORT_KEY = "config.compliance_by_rule"


class Settings(BaseModel):
    min_compliant_percent: float = Field(
        100.0, ge=0, le=100, description="share of evaluated rules that must be COMPLIANT"
    )


@check(
    id="config.compliance_report",
    title="Monthly AWS Config compliance report",
    section="Monthly Tasks / End of Month: Compliance & Reporting",
    cadence=("monthly:compliance",),
    severity=Severity.MEDIUM,
    needs=(EXPORT_KEY,),
    permissions=("config:DescribeComplianceByConfigRule",),
    remediation="aws configservice describe-compliance-by-config-rule > compliance-$(date +%Y%m).json "
    "(opsbook saves it with --report-dir); fix or document each NON_COMPLIANT rule",
    settings=Settings,
)
def compliance_report(ctx: CheckContext) -> Iterable[Finding]:
    rules: list[dict[str, Any]] = ctx[EXPORT_KEY]
    limit = ctx.settings.min_compliant_percent
    res = Resource(id=f"config:{ctx.target.account_id or ctx.target.account}", type="AWS::Config::Rules")
    by_rule = {
        r["ConfigRuleName"]: (r.get("Compliance") or {}).get("ComplianceType", "INSUFFICIENT_DATA")
        for r in rules
    }
    counts = Counter(by_rule.values())
    evaluated = counts["COMPLIANT"] + counts["NON_COMPLIANT"]
    info = {
        "rules": len(by_rule),
        "by_compliance": dict(counts),
        "non_compliant_rules": sorted(k for k, v in by_rule.items() if v == "NON_COMPLIANT"),
        "export": exports.filename(EXPORT_KEY, ctx.now),
        "threshold": limit,
    }
    if not by_rule:
        yield ctx.skipped("no AWS Config rules in this account/region", res, **info)
        return
    pct = round(100.0 * counts["COMPLIANT"] / evaluated, 1) if evaluated else None
    info["compliant_percent"] = pct
    msg = f"{counts['COMPLIANT']} of {evaluated} evaluated Config rules compliant" + (
        f" ({pct:g}%)" if pct is not None else ""
    )
    if pct is not None and pct < limit:
        yield ctx.failed(f"{msg}; non-compliant: {', '.join(info['non_compliant_rules'])}", res, **info)
    else:
        yield ctx.passed(msg, res, **info)
