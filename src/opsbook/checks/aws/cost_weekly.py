"""Thursday: cost by service over the last 7 days by day, with the week-over-week change per service."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.collect.aws.review_models import WeeklyCost
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    max_increase_percent: float = Field(25.0, ge=0, description="week-over-week growth above this fails")
    min_increase_usd: float = Field(50.0, ge=0, description="...and only if it adds at least this much")
    min_weekly_usd: float = Field(1.0, ge=0, description="services cheaper than this are left out")


def change_percent(now: float, before: float) -> float | None:
    return None if before <= 0 else round(100.0 * (now - before) / before, 1)


@check(
    id="ce.weekly_cost_by_service",
    title="Cost by service over the last 7 days, week over week",
    section="Weekly Tasks / Thursday: Cost Review",
    cadence=("weekly:thursday",),
    severity=Severity.MEDIUM,
    needs=("ce.cost_by_service_14d",),
    permissions=("ce:GetCostAndUsage",),
    remediation="aws ce get-cost-and-usage --time-period Start=<7 days ago>,End=<today> --granularity DAILY "
    "--metrics BlendedCost UnblendedCost --group-by Type=DIMENSION,Key=SERVICE; find the new usage "
    "(Cost Explorer, group by usage type) and tag or stop it",
    settings=Settings,
)
def weekly_cost_by_service(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    cost: WeeklyCost | None = ctx["ce.cost_by_service_14d"]
    if cost is None:  # Cost Explorer is account-wide: read in the account's first region only
        return
    for svc in cost.services:
        if max(svc.unblended, svc.previous_unblended) < s.min_weekly_usd:
            continue
        res = Resource(id=svc.service, type="AWS::CE::Service")
        pct = change_percent(svc.unblended, svc.previous_unblended)
        delta = svc.unblended - svc.previous_unblended
        info = {
            "period": f"{cost.start}..{cost.end}",
            "unit": cost.unit,
            "daily_unblended": svc.daily,
            "blended": svc.blended,
            "unblended": svc.unblended,
            "previous_unblended": svc.previous_unblended,
            "change_percent": pct,
            "change": round(delta, 2),
        }
        grew = (pct is None or pct > s.max_increase_percent) and delta >= s.min_increase_usd
        change = "new this week" if pct is None else f"{pct:+.1f}% week over week"
        msg = f"{svc.service}: ${svc.unblended:,.2f} in 7 days ({change}, {delta:+,.2f} {cost.unit})"
        if grew:
            yield ctx.failed(msg, res, **info)
        else:
            yield ctx.passed(msg, res, **info)
    if not cost.services:
        yield ctx.passed(f"no cost recorded between {cost.previous_start} and {cost.end}")
