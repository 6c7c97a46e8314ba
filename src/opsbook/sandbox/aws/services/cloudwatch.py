"""GetMetricData with percentile statistics (p50, p95, p99.9 ...), which moto cannot compute.

A batch without a percentile goes on to moto unchanged. A batch with one is answered here, every query
of it, from the datapoints moto stores (values put with PutMetricData), in the awsJson1_0 protocol
boto3 uses for CloudWatch.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_error, json_response

SERVICE = "monitoring"
PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")


def _time(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def statistic(stat: str, values: list[float]) -> float | None:
    if not values:
        return None
    m = PERCENTILE.match(stat)
    if m:  # nearest rank, as CloudWatch does for raw values
        ordered = sorted(values)
        rank = max(math.ceil(float(m.group(1)) / 100.0 * len(ordered)), 1)
        return ordered[rank - 1]
    if stat == "Average":
        return sum(values) / len(values)
    simple = {"Sum": sum(values), "Minimum": min(values), "Maximum": max(values), "SampleCount": len(values)}
    value = simple.get(stat)
    return float(value) if value is not None else None


def stored(call: Call) -> list[tuple[datetime, Any]]:
    """(aware timestamp, datum) of every single value moto keeps for the caller's account and region."""
    from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

    backend = cloudwatch_backends[call.account_id][call.region]
    return [
        (d.timestamp if d.timestamp.tzinfo else d.timestamp.replace(tzinfo=UTC), d)
        for d in backend.metric_data
        if isinstance(d, MetricDatum)
    ]


def get_metric_data(call: Call, data: SandboxData) -> Response | None:
    body = call.json()
    queries = body.get("MetricDataQueries") or []
    if not any(PERCENTILE.match((q.get("MetricStat") or {}).get("Stat", "")) for q in queries):
        return None  # moto answers batches without percentiles
    if any("MetricStat" not in q for q in queries):
        return json_error("ValidationError", "the sandbox computes percentiles for MetricStat queries only")
    start, end = _time(body["StartTime"]), _time(body["EndTime"])
    points = [(t, d) for t, d in stored(call) if start <= t < end]
    results = []
    for q in queries:
        ms = q["MetricStat"]
        metric = ms["Metric"]
        dims = {(d["Name"], d["Value"]) for d in metric.get("Dimensions", [])}
        mine = [
            (t, d)
            for t, d in points
            if d.namespace == metric["Namespace"]
            and d.name == metric["MetricName"]
            and {(x.name, x.value) for x in d.dimensions} == dims
        ]
        period = timedelta(seconds=int(ms["Period"]))
        stamps: list[float] = []
        values: list[float] = []
        lo = start
        while lo < end:
            in_period = [float(d.value) for t, d in mine if lo <= t < lo + period]
            value = statistic(ms["Stat"], in_period)
            if value is not None:
                stamps.append(lo.timestamp())
                values.append(value)
            lo += period
        if body.get("ScanBy", "TimestampDescending") == "TimestampDescending":
            stamps.reverse()
            values.reverse()
        if q.get("ReturnData", True):
            results.append(
                {
                    "Id": q["Id"],
                    "Label": q.get("Label") or f"{metric['MetricName']} {ms['Stat']}",
                    "Timestamps": stamps,
                    "Values": values,
                    "StatusCode": "Complete",
                }
            )
    return json_response({"MetricDataResults": results, "Messages": []})


HANDLERS = {"GetMetricData": get_metric_data}
