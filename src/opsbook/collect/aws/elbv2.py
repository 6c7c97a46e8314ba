"""Elastic Load Balancing v2: load balancers with tags, and their traffic over the last 7 days.

Traffic is one batched GetMetricData: RequestCount (ALB) or NewFlowCount (NLB/GWLB) plus ProcessedBytes
per load balancer, daily sums over the window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbook.collect.aws import metrics
from opsbook.collect.aws.cost_models import LbTraffic, LoadBalancer
from opsbook.core.collectors import CollectContext, collector

WINDOW_DAYS = 7
NAMESPACES = {"application": "AWS/ApplicationELB", "network": "AWS/NetworkELB", "gateway": "AWS/GatewayELB"}


def request_metric(lb_type: str) -> str:
    return "RequestCount" if lb_type == "application" else "NewFlowCount"


@collector(
    "elbv2.load_balancers",
    permissions=("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags"),
)
def load_balancers(ctx: CollectContext) -> list[LoadBalancer]:
    elb = ctx.client("elbv2")
    raw = [
        lb for page in elb.get_paginator("describe_load_balancers").paginate() for lb in page["LoadBalancers"]
    ]
    tags: dict[str, dict[str, str]] = {}
    arns = [lb["LoadBalancerArn"] for lb in raw]
    for i in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
        for d in elb.describe_tags(ResourceArns=arns[i : i + 20]).get("TagDescriptions", []):
            tags[d["ResourceArn"]] = {t["Key"]: t.get("Value", "") for t in d.get("Tags", [])}
    return [lb_model(lb, tags.get(lb["LoadBalancerArn"], {})) for lb in raw]


def lb_model(lb: dict[str, Any], tags: dict[str, str]) -> LoadBalancer:
    return LoadBalancer(
        arn=lb["LoadBalancerArn"],
        name=lb["LoadBalancerName"],
        type=lb.get("Type", "application"),
        scheme=lb.get("Scheme", "internet-facing"),
        state=(lb.get("State") or {}).get("Code", "active"),
        created_at=lb.get("CreatedTime"),
        dns_name=lb.get("DNSName", ""),
        tags=tags,
    )


def fetch_traffic(cloudwatch: Any, lbs: list[LoadBalancer], now: datetime) -> dict[str, LbTraffic]:
    """Requests and processed bytes of each load balancer over the window: one GetMetricData batch.
    The weekly check and cleanup's re-check before a delete both read traffic through this."""
    queries = []
    for i, lb in enumerate(lbs):
        ns = NAMESPACES.get(lb.type, "AWS/ApplicationELB")
        dims = {"LoadBalancer": lb.metric_dimension}
        queries.append(metrics.metric_query(f"r{i}", ns, request_metric(lb.type), dims, "Sum", 86400))
        queries.append(metrics.metric_query(f"b{i}", ns, "ProcessedBytes", dims, "Sum", 86400))
    values = metrics.fetch(cloudwatch, queries, now - timedelta(days=WINDOW_DAYS), now)
    return {
        lb.arn: LbTraffic(
            requests=sum(values[f"r{i}"]),
            processed_bytes=sum(values[f"b{i}"]),
            datapoints=len(values[f"r{i}"]) + len(values[f"b{i}"]),
            window_days=WINDOW_DAYS,
        )
        for i, lb in enumerate(lbs)
    }


@collector("elbv2.traffic_7d", permissions=("cloudwatch:GetMetricData",), deps=("elbv2.load_balancers",))
def traffic_7d(ctx: CollectContext) -> dict[str, LbTraffic]:
    lbs: list[LoadBalancer] = ctx.get("elbv2.load_balancers")
    return fetch_traffic(ctx.client("cloudwatch"), lbs, ctx.now) if lbs else {}
