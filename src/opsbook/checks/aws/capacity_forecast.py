"""Mid-month: next month's cost forecast vs last month (and this month so far)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, Field

from opsbook.collect.aws.review_models import CostOutlook
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    max_growth_percent: float = Field(20.0, ge=0, description="forecast above last month by more fails")
    min_increase_usd: float = Field(100.0, ge=0, description="...and by at least this much")


def projected(outlook: CostOutlook, today: date) -> float | None:
    """This month's cost at the current daily rate (None on the 1st: nothing to project from)."""
    elapsed = today.day - 1
    if elapsed <= 0:
        return None
    days = calendar.monthrange(today.year, today.month)[1]
    return round(outlook.month_to_date / elapsed * days, 2)


@check(
    id="ce.cost_forecast",
    title="Next month's cost forecast vs last month",
    section="Monthly Tasks / Mid-Month: Capacity Planning",
    cadence=("monthly:capacity",),
    severity=Severity.MEDIUM,
    needs=("ce.cost_outlook",),
    permissions=("ce:GetCostAndUsage", "ce:GetCostForecast"),
    remediation="aws ce get-cost-forecast --time-period Start=<next month>,End=<month after> "
    "--metric BLENDED_COST --granularity MONTHLY; review the growing services before the month starts",
    settings=Settings,
)
def cost_forecast(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    o: CostOutlook | None = ctx["ce.cost_outlook"]
    if o is None:
        return
    res = Resource(id=f"forecast:{ctx.target.account_id or ctx.target.account}", type="AWS::CE::Forecast")
    info = o.model_dump() | {"projected_this_month": projected(o, ctx.now.date())}
    if o.forecast_next_month is None:
        yield ctx.skipped("Cost Explorer returned no forecast for next month", res, **info)
        return
    delta = o.forecast_next_month - o.last_month
    pct = round(100.0 * delta / o.last_month, 1) if o.last_month > 0 else None
    info["growth_percent"] = pct
    msg = (
        f"next month forecast ${o.forecast_next_month:,.2f} vs ${o.last_month:,.2f} last month"
        + (f" ({pct:+g}%)" if pct is not None else "")
        + f"; ${o.month_to_date:,.2f} so far this month"
    )
    if delta >= s.min_increase_usd and (pct is None or pct > s.max_growth_percent):
        yield ctx.failed(msg, res, **info)
    else:
        yield ctx.passed(msg, res, **info)
