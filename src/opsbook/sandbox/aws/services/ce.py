"""Cost Explorer operations moto does not serve (or serves canned), answered from seeded data.

`data.anomalies[account]`: GetAnomalies' anomalies. `data.extra["ce"][account]`:
  `daily`: {service: {YYYY-MM-DD: unblended cost}} (blended is 97 % of it),
  `forecast`: next month's mean forecast (absent: DataUnavailableException),
  `reservations`: GetReservationUtilization's Total aggregate (absent: DataUnavailableException).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_error, json_response

SERVICE = "ce"  # the signing name in the request's Authorization header
PAGE_DAYS = 10  # DAILY results per page, so that clients follow NextPageToken
BLENDED = 0.97


def state(call: Call, data: SandboxData) -> dict[str, Any]:
    return data.extra.get(SERVICE, {}).get(call.account_id, {})


def get_anomalies(call: Call, data: SandboxData) -> Response:
    body = call.json()
    interval = body.get("DateInterval", {})
    start = interval.get("StartDate", "0000-00-00")
    end = interval.get("EndDate") or "9999-12-31"
    found = [a for a in data.anomalies.get(call.account_id, []) if start <= a["AnomalyStartDate"][:10] <= end]
    return json_response({"Anomalies": found})


def _period(body: dict[str, Any]) -> tuple[date, date] | str:
    """The TimePeriod's dates, or the ValidationException message."""
    tp = body.get("TimePeriod") or {}
    try:
        start, end = date.fromisoformat(tp["Start"]), date.fromisoformat(tp["End"])
    except (KeyError, ValueError):
        return "TimePeriod Start and End must be YYYY-MM-DD dates"
    if start >= end:
        return "Start date must be before the end date"
    return start, end


def _money(amount: float) -> dict[str, str]:
    return {"Amount": f"{amount:.10f}".rstrip("0").rstrip("."), "Unit": "USD"}


def _metrics(unblended: float, wanted: list[str]) -> dict[str, dict[str, str]]:
    values = {"UnblendedCost": unblended, "BlendedCost": unblended * BLENDED, "AmortizedCost": unblended}
    return {m: _money(values.get(m, unblended)) for m in wanted}


def _buckets(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
    out = []
    cur = start
    while cur < end:
        if granularity == "MONTHLY":
            nxt = (cur.replace(day=1) + timedelta(days=32)).replace(day=1)
        else:
            nxt = cur + timedelta(days=1)
        out.append((cur, min(nxt, end)))
        cur = min(nxt, end)
    return out


def get_cost_and_usage(call: Call, data: SandboxData) -> Response:
    body = call.json()
    period = _period(body)
    if isinstance(period, str):
        return json_error("ValidationException", period)
    granularity = body.get("Granularity") or "DAILY"
    if granularity not in ("DAILY", "MONTHLY"):
        return json_error("ValidationException", f"Granularity {granularity} is not served by the sandbox")
    wanted = body.get("Metrics") or []
    if not wanted:
        return json_error("ValidationException", "Metrics are required")
    group_keys = [g.get("Key") for g in body.get("GroupBy") or []]
    if group_keys not in ([], ["SERVICE"]):
        return json_error("ValidationException", "the sandbox groups by SERVICE only")
    daily: dict[str, dict[str, float]] = state(call, data).get("daily", {})
    buckets = _buckets(*period, granularity)
    first = int(body.get("NextPageToken") or 0)
    page = buckets[first : first + PAGE_DAYS] if granularity == "DAILY" else buckets
    results = []
    for lo, hi in page:
        days = [(lo + timedelta(days=i)).isoformat() for i in range((hi - lo).days)]
        per_service = {s: sum(v.get(d, 0.0) for d in days) for s, v in sorted(daily.items())}
        entry: dict[str, Any] = {
            "TimePeriod": {"Start": lo.isoformat(), "End": hi.isoformat()},
            "Estimated": hi >= date.today(),
        }
        if group_keys:
            entry["Total"] = {}
            entry["Groups"] = [
                {"Keys": [s], "Metrics": _metrics(v, wanted)} for s, v in per_service.items() if v > 0
            ]
        else:
            entry["Total"] = _metrics(sum(per_service.values()), wanted)
            entry["Groups"] = []
        results.append(entry)
    out: dict[str, Any] = {"ResultsByTime": results, "DimensionValueAttributes": []}
    if group_keys:
        out["GroupDefinitions"] = [{"Type": "DIMENSION", "Key": "SERVICE"}]
    if granularity == "DAILY" and first + PAGE_DAYS < len(buckets):
        out["NextPageToken"] = str(first + PAGE_DAYS)
    return json_response(out)


def get_cost_forecast(call: Call, data: SandboxData) -> Response:
    body = call.json()
    period = _period(body)
    if isinstance(period, str):
        return json_error("ValidationException", period)
    mean = state(call, data).get("forecast")
    if mean is None:
        return json_error("DataUnavailableException", "Insufficient amount of historical data for a forecast")
    start, end = period
    tp = {"Start": start.isoformat(), "End": end.isoformat()}
    return json_response(
        {
            "Total": _money(mean),
            "ForecastResultsByTime": [
                {
                    "TimePeriod": tp,
                    "MeanValue": f"{mean:.2f}",
                    "PredictionIntervalLowerBound": f"{mean * 0.9:.2f}",
                    "PredictionIntervalUpperBound": f"{mean * 1.1:.2f}",
                }
            ],
        }
    )


def get_reservation_utilization(call: Call, data: SandboxData) -> Response:
    period = _period(call.json())
    if isinstance(period, str):
        return json_error("ValidationException", period)
    total = state(call, data).get("reservations")
    if total is None:
        return json_error("DataUnavailableException", "No Reserved Instance data for this period")
    tp = {"Start": period[0].isoformat(), "End": period[1].isoformat()}
    return json_response(
        {"UtilizationsByTime": [{"TimePeriod": tp, "Total": total, "Groups": []}], "Total": total}
    )


HANDLERS = {
    "GetAnomalies": get_anomalies,
    "GetCostAndUsage": get_cost_and_usage,
    "GetCostForecast": get_cost_forecast,
    "GetReservationUtilization": get_reservation_utilization,
}
