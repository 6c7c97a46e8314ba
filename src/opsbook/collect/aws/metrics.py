"""GetMetricData in batches: many metrics, one call per 500 queries instead of one call per metric."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from opsbook.collect.aws.models import MetricSummary

MAX_QUERIES = 500


def metric_query(
    qid: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    stat: str,
    period: int,
) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def fetch(
    client: Any, queries: Sequence[dict[str, Any]], start: datetime, end: datetime
) -> dict[str, list[float]]:
    """Values per query id over [start, end)."""
    return {qid: [v for _, v in points] for qid, points in fetch_series(client, queries, start, end).items()}


def fetch_series(
    client: Any, queries: Sequence[dict[str, Any]], start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, float]]]:
    """(timestamp, value) pairs per query id over [start, end), in the order CloudWatch returns them."""
    out: dict[str, list[tuple[datetime, float]]] = {q["Id"]: [] for q in queries}
    for i in range(0, len(queries), MAX_QUERIES):
        chunk = list(queries[i : i + MAX_QUERIES])
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"MetricDataQueries": chunk, "StartTime": start, "EndTime": end}
            if token:
                kwargs["NextToken"] = token
            page = client.get_metric_data(**kwargs)
            for result in page.get("MetricDataResults", []):
                stamps = result.get("Timestamps", [])
                values = [float(v) for v in result.get("Values", [])]
                out.setdefault(result["Id"], []).extend(zip(stamps, values, strict=False))
            token = page.get("NextToken")
            if not token:
                break
    return out


def summarise(values: list[float], stat: str) -> MetricSummary:
    if not values:
        return MetricSummary()
    if stat == "Sum":
        return MetricSummary(total=sum(values), maximum=max(values), datapoints=len(values))
    return MetricSummary(average=sum(values) / len(values), maximum=max(values), datapoints=len(values))
