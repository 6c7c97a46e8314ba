"""Daily: API Gateway 5XX rate and latency over the last hour, per API."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.collect.aws.models import ApiMetrics, RestApi
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    max_5xx_percent: float = Field(1.0, ge=0, le=100, description="5XXError / Count over the hour, in %")
    max_latency_ms: float = Field(1000.0, gt=0, description="average Latency over the hour, in ms")
    min_requests: int = Field(1, ge=0, description="below this many requests the rate is not judged")


@check(
    id="apigateway.errors_latency",
    title="API Gateway 5XX rate and latency over the last hour",
    section="Daily Operations / Monitoring Checks",
    cadence=("daily",),
    severity=Severity.HIGH,
    needs=("apigateway.apis", "apigateway.metrics_1h"),
    permissions=("apigateway:GET", "cloudwatch:GetMetricData"),
    remediation="aws cloudwatch get-metric-statistics --namespace AWS/ApiGateway --metric-name 5XXError "
    "--dimensions Name=ApiName,Value=<api>; check the integration's logs",
    settings=Settings,
)
def api_errors_latency(ctx: CheckContext) -> Iterable[Finding]:
    s = ctx.settings
    apis: list[RestApi] = ctx["apigateway.apis"]
    metrics: dict[str, ApiMetrics] = ctx["apigateway.metrics_1h"]
    for api in apis:
        res = Resource(id=api.name, type="AWS::ApiGateway::RestApi", name=api.id)
        m = metrics.get(api.name, ApiMetrics())
        rate = (100.0 * m.errors_5xx / m.count) if m.count else 0.0
        info = {
            "requests": m.count,
            "errors_5xx": m.errors_5xx,
            "error_rate_percent": round(rate, 2),
            "latency_avg_ms": m.latency_avg,
            "latency_max_ms": m.latency_max,
        }
        problems = []
        if m.count >= max(s.min_requests, 1) and rate > s.max_5xx_percent:
            problems.append(f"5XX rate {rate:.1f}% (> {s.max_5xx_percent:g}%)")
        if m.latency_avg is not None and m.latency_avg > s.max_latency_ms:
            problems.append(f"latency {m.latency_avg:.0f} ms (> {s.max_latency_ms:g} ms)")
        if problems:
            yield ctx.failed(f"API {api.name}: " + ", ".join(problems), res, **info)
        elif m.count == 0:
            yield ctx.passed(f"API {api.name}: no requests in the last hour", res, **info)
        else:
            yield ctx.passed(
                f"API {api.name}: {m.count:.0f} requests, {rate:.1f}% 5XX, "
                f"{(m.latency_avg or 0):.0f} ms average latency",
                res,
                **info,
            )
