"""Wednesday: API Gateway latency over 7 days (average, maximum, p50/p95) against thresholds."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.collect.aws.models import RestApi
from opsbook.collect.aws.review_models import ApiLatency
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    max_average_ms: float = Field(1000.0, gt=0, description="7-day average latency above this fails")
    max_maximum_ms: float = Field(10000.0, gt=0, description="any latency above this in 7 days fails")
    max_p95_ms: float | None = Field(None, gt=0, description="the worst day's p95 above this fails (off)")


@check(
    id="apigateway.latency_weekly",
    title="API Gateway latency over the last 7 days",
    section="Weekly Tasks / Wednesday: Performance Review",
    cadence=("weekly:wednesday",),
    severity=Severity.MEDIUM,
    needs=("apigateway.apis", "apigateway.latency_7d"),
    permissions=("apigateway:GET", "cloudwatch:GetMetricData"),
    remediation="aws cloudwatch get-metric-statistics --namespace AWS/ApiGateway --metric-name Latency "
    "--dimensions Name=ApiName,Value=<api> --period 86400 --statistics Average Maximum; compare "
    "IntegrationLatency to find the slow backend",
    settings=Settings,
)
def api_latency_weekly(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    apis: list[RestApi] = ctx["apigateway.apis"]
    latency: dict[str, ApiLatency] = ctx["apigateway.latency_7d"]
    for api in apis:
        res = Resource(id=api.name, type="AWS::ApiGateway::RestApi", name=api.id)
        m = latency.get(api.name, ApiLatency())
        perf = {
            "latency_avg_ms": m.average,
            "latency_max_ms": m.maximum,
            "latency_p50_ms": m.p50,
            "latency_p95_ms": m.p95,
            "daily_average_ms": m.daily_average,
            "days": m.days,
        }
        if m.average is None:
            yield ctx.skipped(f"API {api.name}: no Latency datapoints in the last 7 days", res, **perf)
            continue
        problems = []
        if m.average > s.max_average_ms:
            problems.append(f"7-day average {m.average:.0f} ms (> {s.max_average_ms:g} ms)")
        if m.maximum is not None and m.maximum > s.max_maximum_ms:
            problems.append(f"maximum {m.maximum:.0f} ms (> {s.max_maximum_ms:g} ms)")
        if s.max_p95_ms is not None and m.p95 is not None and m.p95 > s.max_p95_ms:
            problems.append(f"p95 {m.p95:.0f} ms (> {s.max_p95_ms:g} ms)")
        p95 = f", p95 {m.p95:.0f} ms" if m.p95 is not None else ""
        if problems:
            yield ctx.failed(f"API {api.name}: " + ", ".join(problems) + p95, res, **perf)
        else:
            yield ctx.passed(
                f"API {api.name}: 7-day average {m.average:.0f} ms, maximum {m.maximum or 0:.0f} ms{p95}",
                res,
                **perf,
            )
