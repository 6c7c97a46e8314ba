"""Daily: Cost Explorer anomalies of the last day above an impact threshold."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.collect.aws.models import CostAnomaly
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    min_impact_usd: float = Field(10.0, ge=0, description="report anomalies whose total impact exceeds this")


@check(
    id="ce.cost_anomalies",
    title="Cost anomalies in the last day",
    section="Daily Operations / Morning Health Checks",
    cadence=("daily",),
    severity=Severity.MEDIUM,
    needs=("ce.anomalies_1d",),
    permissions=("ce:GetAnomalies",),
    remediation="Review in Cost Explorer: aws ce get-anomalies --date-interval StartDate=<yesterday>",
    settings=Settings,
)
def cost_anomalies(ctx: CheckContext) -> Iterable[Finding]:
    found: list[CostAnomaly] | None = ctx["ce.anomalies_1d"]
    if found is None:  # Cost Explorer is account-wide: read in the account's first region only
        return
    yield from judge(ctx, found, "the last day")


def judge(ctx: CheckContext, found: list[CostAnomaly], window: str) -> Iterable[Finding]:
    """One finding per anomaly: failing above the impact threshold (shared by the weekly review)."""
    limit = ctx.settings.min_impact_usd
    for a in found:
        res = Resource(id=a.id, type="AWS::CE::Anomaly", arn=a.monitor_arn)
        info = {"impact_usd": a.total_impact, "service": a.service, "start": a.start, "threshold": limit}
        where = f"{a.service or 'unknown service'}" + (f" in {a.region}" if a.region else "")
        if a.total_impact > limit:
            yield ctx.failed(
                f"cost anomaly on {where}: ${a.total_impact:,.2f} impact since {a.start}", res, **info
            )
        else:
            yield ctx.passed(f"cost anomaly on {where} below threshold (${a.total_impact:,.2f})", res, **info)
    if not found:
        yield ctx.passed(f"no cost anomalies in {window}")
