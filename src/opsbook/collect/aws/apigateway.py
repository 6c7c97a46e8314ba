"""API Gateway REST APIs and their last-hour Count / 5XXError / Latency (one GetMetricData batch)."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.aws import metrics
from opsbook.collect.aws.models import ApiMetrics, RestApi
from opsbook.collect.aws.review_models import ApiLatency
from opsbook.core.collectors import CollectContext, collector


@collector("apigateway.apis", permissions=("apigateway:GET",))
def apis(ctx: CollectContext) -> list[RestApi]:
    out: list[RestApi] = []
    for page in ctx.client("apigateway").get_paginator("get_rest_apis").paginate():
        out.extend(RestApi(id=a["id"], name=a["name"]) for a in page.get("items", []))
    return out


@collector("apigateway.metrics_1h", permissions=("cloudwatch:GetMetricData",), deps=("apigateway.apis",))
def metrics_last_hour(ctx: CollectContext) -> dict[str, ApiMetrics]:
    rest: list[RestApi] = ctx.get("apigateway.apis")
    if not rest:
        return {}
    wanted = (("Count", "Sum"), ("5XXError", "Sum"), ("Latency", "Average"), ("Latency", "Maximum"))
    queries = [
        metrics.metric_query(f"a{i}m{j}", "AWS/ApiGateway", m, {"ApiName": api.name}, stat, 300)
        for i, api in enumerate(rest)
        for j, (m, stat) in enumerate(wanted)
    ]
    values = metrics.fetch(ctx.client("cloudwatch"), queries, ctx.now - timedelta(hours=1), ctx.now)
    out: dict[str, ApiMetrics] = {}
    for i, api in enumerate(rest):
        count, errors, lat_avg, lat_max = (values[f"a{i}m{j}"] for j in range(4))
        out[api.name] = ApiMetrics(
            count=sum(count),
            errors_5xx=sum(errors),
            latency_avg=(sum(lat_avg) / len(lat_avg)) if lat_avg else None,
            latency_max=max(lat_max) if lat_max else None,
        )
    return out


LATENCY_STATS = ("Average", "Maximum", "p50", "p95")


@collector("apigateway.latency_7d", permissions=("cloudwatch:GetMetricData",), deps=("apigateway.apis",))
def latency_7d(ctx: CollectContext) -> dict[str, ApiLatency]:
    """Latency per API over 7 days, one datapoint a day: Average, Maximum, p50 and p95 in one batch."""
    rest: list[RestApi] = ctx.get("apigateway.apis")
    if not rest:
        return {}
    queries = [
        metrics.metric_query(f"a{i}s{j}", "AWS/ApiGateway", "Latency", {"ApiName": api.name}, stat, 86400)
        for i, api in enumerate(rest)
        for j, stat in enumerate(LATENCY_STATS)
    ]
    values = metrics.fetch(ctx.client("cloudwatch"), queries, ctx.now - timedelta(days=7), ctx.now)
    out: dict[str, ApiLatency] = {}
    for i, api in enumerate(rest):
        avg, peak, p50, p95 = (values[f"a{i}s{j}"] for j in range(len(LATENCY_STATS)))
        out[api.name] = ApiLatency(
            average=round(sum(avg) / len(avg), 1) if avg else None,
            maximum=max(peak) if peak else None,
            p50=round(sorted(p50)[len(p50) // 2], 1) if p50 else None,  # the median day's median
            p95=max(p95) if p95 else None,  # the worst day's p95
            daily_average=[round(v, 1) for v in avg],
            days=len(avg),
        )
    return out
