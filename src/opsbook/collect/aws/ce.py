"""Cost Explorer (an account-wide API: collected once per account, scope="account")."""

from __future__ import annotations

from datetime import date as date_t
from datetime import timedelta
from typing import Any

import botocore.exceptions

from opsbook.collect.aws.models import CostAnomaly
from opsbook.collect.aws.review_models import CostOutlook, ReservationUtilization, ServiceCost, WeeklyCost
from opsbook.core.collectors import CollectContext, collector


def anomalies_since(ctx: CollectContext, days: int) -> list[CostAnomaly] | None:
    start = (ctx.now - timedelta(days=days)).date().isoformat()
    end = ctx.now.date().isoformat()
    ce = ctx.client("ce")
    out: list[CostAnomaly] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"DateInterval": {"StartDate": start, "EndDate": end}}
        if token:
            kwargs["NextPageToken"] = token
        page = ce.get_anomalies(**kwargs)
        for a in page.get("Anomalies", []):
            causes = a.get("RootCauses") or [{}]
            impact = a.get("Impact", {})
            out.append(
                CostAnomaly(
                    id=a["AnomalyId"],
                    start=a.get("AnomalyStartDate", ""),
                    end=a.get("AnomalyEndDate"),
                    total_impact=float(impact.get("TotalImpact", 0.0)),
                    max_impact=float(impact.get("MaxImpact", 0.0)),
                    score=(a.get("AnomalyScore") or {}).get("CurrentScore"),
                    service=causes[0].get("Service"),
                    region=causes[0].get("Region"),
                    monitor_arn=a.get("MonitorArn"),
                )
            )
        token = page.get("NextPageToken")
        if not token:
            return out


@collector("ce.anomalies_1d", permissions=(), deps=("ce.anomalies_7d",), scope="account")
def anomalies_1d(ctx: CollectContext) -> list[CostAnomaly] | None:
    """The last day's anomalies, cut from the 7-day listing: a run with the daily and the weekly cost
    checks asks Cost Explorer once, and a daily run alone still makes one call."""
    week: list[CostAnomaly] | None = ctx.get("ce.anomalies_7d")
    if week is None:
        return None
    since = (ctx.now - timedelta(days=1)).date().isoformat()
    return [a for a in week if (a.end or a.start)[:10] >= since]


@collector("ce.anomalies_7d", permissions=("ce:GetAnomalies",), scope="account")
def anomalies_7d(ctx: CollectContext) -> list[CostAnomaly] | None:
    return anomalies_since(ctx, 7)


def _amount(metrics: dict[str, Any], name: str) -> tuple[float, str]:
    m = metrics.get(name) or {}
    return float(m.get("Amount") or 0.0), str(m.get("Unit") or "USD")


def cost_and_usage(ce: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every ResultsByTime entry of a GetCostAndUsage query, following NextPageToken."""
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = ce.get_cost_and_usage(**kwargs, **({"NextPageToken": token} if token else {}))
        out.extend(page.get("ResultsByTime", []))
        token = page.get("NextPageToken")
        if not token:
            return out


@collector("ce.cost_by_service_14d", permissions=("ce:GetCostAndUsage",), scope="account")
def cost_by_service_14d(ctx: CollectContext) -> WeeklyCost | None:
    """Daily cost by service over 14 days (one query): the last 7 days and the 7 before, per service."""
    today = ctx.now.date()
    start, mid = today - timedelta(days=14), today - timedelta(days=7)
    results = cost_and_usage(
        ctx.client("ce"),
        TimePeriod={"Start": start.isoformat(), "End": today.isoformat()},
        Granularity="DAILY",
        Metrics=["BlendedCost", "UnblendedCost"],
        GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
    )
    acc: dict[str, dict[str, Any]] = {}
    unit = "USD"
    for day in results:
        date = day["TimePeriod"]["Start"][:10]
        current = date >= mid.isoformat()
        for g in day.get("Groups", []):
            service = g["Keys"][0]
            blended, unit = _amount(g.get("Metrics", {}), "BlendedCost")
            unblended, _ = _amount(g.get("Metrics", {}), "UnblendedCost")
            s = acc.setdefault(service, {"daily": {}, "blended": 0.0, "unblended": 0.0, "previous": 0.0})
            if current:
                s["daily"][date] = round(unblended, 4)
                s["blended"] += blended
                s["unblended"] += unblended
            else:
                s["previous"] += unblended
    services = [
        ServiceCost(
            service=name,
            daily=v["daily"],
            blended=round(v["blended"], 2),
            unblended=round(v["unblended"], 2),
            previous_unblended=round(v["previous"], 2),
        )
        for name, v in sorted(acc.items())
    ]
    return WeeklyCost(
        start=mid.isoformat(),
        end=today.isoformat(),
        previous_start=start.isoformat(),
        unit=unit,
        services=services,
    )


@collector("ce.reservation_utilization_7d", permissions=("ce:GetReservationUtilization",), scope="account")
def reservation_utilization_7d(ctx: CollectContext) -> ReservationUtilization | None:
    today = ctx.now.date()
    period = {"Start": (today - timedelta(days=7)).isoformat(), "End": today.isoformat()}
    try:
        total = ctx.client("ce").get_reservation_utilization(TimePeriod=period).get("Total") or {}
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "DataUnavailableException":
            return ReservationUtilization(has_reservations=False, start=period["Start"], end=period["End"])
        raise
    purchased = float(total.get("PurchasedHours") or 0.0)
    savings = total.get("NetRISavings")
    return ReservationUtilization(
        has_reservations=purchased > 0,
        utilization_percent=float(total["UtilizationPercentage"]) if purchased > 0 else None,
        purchased_hours=purchased,
        used_hours=float(total.get("TotalActualHours") or 0.0),
        unused_hours=float(total.get("UnusedHours") or 0.0),
        net_savings=float(savings) if savings is not None else None,
        start=period["Start"],
        end=period["End"],
    )


def add_month(d: date_t, months: int) -> date_t:
    y, m = divmod(d.month - 1 + months, 12)
    return d.replace(year=d.year + y, month=m + 1, day=1)


@collector("ce.cost_outlook", permissions=("ce:GetCostAndUsage", "ce:GetCostForecast"), scope="account")
def cost_outlook(ctx: CollectContext) -> CostOutlook | None:
    """Last month's cost, this month's so far (one monthly query) and next month's forecast."""
    ce = ctx.client("ce")
    today = ctx.now.date()
    this_month = today.replace(day=1)
    last_month = add_month(this_month, -1)
    next_month = add_month(this_month, 1)
    months = cost_and_usage(
        ce,
        TimePeriod={"Start": last_month.isoformat(), "End": today.isoformat()},
        Granularity="MONTHLY",
        Metrics=["BlendedCost"],
    )
    totals: dict[str, float] = {}
    unit = "USD"
    for m in months:
        amount, unit = _amount(m.get("Total", {}), "BlendedCost")
        totals[m["TimePeriod"]["Start"][:7]] = amount
    forecast = ce.get_cost_forecast(
        TimePeriod={"Start": next_month.isoformat(), "End": add_month(next_month, 1).isoformat()},
        Metric="BLENDED_COST",
        Granularity="MONTHLY",
        PredictionIntervalLevel=80,
    )
    by_time = (forecast.get("ForecastResultsByTime") or [{}])[0]
    low, high = by_time.get("PredictionIntervalLowerBound"), by_time.get("PredictionIntervalUpperBound")
    total = (forecast.get("Total") or {}).get("Amount")
    return CostOutlook(
        this_month_start=this_month.isoformat(),
        month_to_date=round(totals.get(this_month.isoformat()[:7], 0.0), 2),
        last_month=round(totals.get(last_month.isoformat()[:7], 0.0), 2),
        forecast_next_month=round(float(total), 2) if total is not None else None,
        forecast_low=round(float(low), 2) if low is not None else None,
        forecast_high=round(float(high), 2) if high is not None else None,
        unit=unit,
    )
