"""Weekly: load balancers with (almost) no requests and traffic over the last 7 days."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from opsbook.checks.aws import pricing
from opsbook.checks.aws.cleanup_proposal import proposal
from opsbook.collect.aws.cost_models import LbTraffic, LoadBalancer
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(pricing.KeepSettings):
    max_requests: float = Field(
        100, ge=0, description="at most this many requests (ALB) / new flows over 7 days"
    )
    max_processed_mb: float = Field(10, ge=0, description="and at most this many MB processed over 7 days")
    min_age_days: int = Field(7, ge=0, description="ignore load balancers younger than this")


def lb_resource(lb: LoadBalancer) -> Resource:
    return Resource(id=lb.arn, type="AWS::ElasticLoadBalancingV2::LoadBalancer", arn=lb.arn, name=lb.name)


@check(
    id="elbv2.idle_load_balancers",
    title="Idle load balancers (7 days)",
    section="Cost Optimization / Identify Cost Savings",
    cadence=("weekly:thursday",),
    severity=Severity.LOW,
    needs=("elbv2.load_balancers", "elbv2.traffic_7d"),
    permissions=(
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "cloudwatch:GetMetricData",
    ),
    remediation="opsbook plan cleanup --kinds idle-lb -o plan.json && opsbook apply plan.json "
    "(by hand: aws elbv2 delete-load-balancer --load-balancer-arn <arn>)",
    settings=Settings,
    fixed_by="cleanup",
)
def idle_load_balancers(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    region = ctx.target.region
    traffic: dict[str, LbTraffic] = ctx["elbv2.traffic_7d"]
    for lb in ctx["elbv2.load_balancers"]:
        res = lb_resource(lb)
        t = traffic.get(lb.arn, LbTraffic())
        info = {"requests_7d": t.requests, "processed_bytes_7d": t.processed_bytes, "lb_type": lb.type}
        age = pricing.age_days(ctx.now, lb.created_at)
        if not t.is_idle(s.max_requests, s.max_processed_mb):
            yield ctx.passed(f"{lb.name}: {t.requests:,.0f} requests in 7 days", res, **info)
        elif pricing.is_kept(lb.tags, s.keep_tag):
            yield ctx.passed(f"{lb.name} is idle but kept ({s.keep_tag})", res, kept=True, **info)
        elif age is not None and age < s.min_age_days:
            yield ctx.passed(f"{lb.name} is idle but only {age} days old", res, **info)
        else:
            saving = pricing.load_balancer_month(region, lb.type)
            yield ctx.failed(
                f"{lb.name} ({lb.type}) served {t.requests:,.0f} requests and "
                f"{t.processed_bytes / 1e6:,.1f} MB in 7 days: ~${saving:,.2f}/month (hourly charge)",
                res,
                None,
                proposal=proposal(
                    "load-balancer",
                    "delete-load-balancer",
                    saving,
                    max_requests=s.max_requests,
                    max_processed_mb=s.max_processed_mb,
                    lb_type=lb.type,
                ),
                max_requests=s.max_requests,
                max_processed_mb=s.max_processed_mb,
                age_days=age,
                scheme=lb.scheme,
                saving_usd_month=saving,
                price_source=pricing.source(region) + "; LCU charges not counted",
                **info,
            )
