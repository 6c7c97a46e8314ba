"""The overview tables of the guide's reviews: which checks each lifts its rows from, and which columns.

- Wednesday performance review: latency and CPU, the slowest statement per database, the HPAs.
- Thursday cost review: cost by service week over week (`aws ce get-cost-and-usage ... SERVICE`).
- Mid-month capacity planning: node groups, pods per node, RDS storage, bucket sizes and growth, next month's forecast.
"""

from __future__ import annotations

from typing import Any

from opsbook.reports.overview import Column, Spec, register


def _slowest(key: str) -> Any:
    def get(details: dict[str, Any]) -> Any:
        top = details.get("top_statements") or []
        value = top[0].get(key) if top else None
        return str(value)[:100] if key == "statement" and value is not None else value

    return get


register(
    Spec(
        name="performance.latency",
        title="Performance",
        checks=("apigateway.latency_weekly", "apigateway.errors_latency", "rds.cpu_high"),
        columns=(
            Column("latency_avg_ms", "latency avg ms"),
            Column("latency_p50_ms", "p50 ms"),
            Column("latency_p95_ms", "p95 ms"),
            Column("latency_max_ms", "latency max ms"),
            Column("cpu_avg", "CPU avg %"),
            Column("cpu_max", "CPU max %"),
            Column("error_rate_percent", "5XX %", digits=2),
        ),
    )
)
register(
    Spec(
        name="performance.slow_statements",
        title="Slowest statements (7 days)",
        checks=("rds.slow_queries",),
        columns=(
            Column("entries", "slow-log entries"),
            Column("count", "runs", get=_slowest("count")),
            Column("total_ms", "total ms", get=_slowest("total_ms")),
            Column("max_ms", "max ms", get=_slowest("max_ms")),
            Column("statement", "slowest statement", get=_slowest("statement")),
        ),
        resource_heading="database",
    )
)
register(
    Spec(
        name="performance.hpa",
        title="Pod autoscaling (HPAs)",
        checks=("k8s.hpa_weekly_review",),
        columns=(
            Column("target", "scales"),
            Column("min", "min"),
            Column("current", "current"),
            Column("desired", "desired"),
            Column("max", "max"),
        ),
        resource_heading="HPA",
    )
)
register(
    Spec(
        name="cost.by_service",
        title="Cost by service, week over week",
        checks=("ce.weekly_cost_by_service",),
        columns=(
            Column("unblended", "this week", digits=2),
            Column("previous_unblended", "last week", digits=2),
            Column("change", "change", digits=2),
            Column("change_percent", "change %"),
        ),
        totals=("unblended", "previous_unblended", "change"),
        note="Unblended cost of the last 7 full days and the 7 before, per account (services under the "
        "check's `min_weekly_usd` are left out).",
        resource_heading="service",
    )
)
register(
    Spec(
        name="capacity.nodegroups",
        title="Capacity: EKS node groups",
        checks=("eks.nodegroup_headroom",),
        columns=(
            Column("min", "min"),
            Column("desired", "desired"),
            Column("max", "max"),
            Column("headroom_nodes", "headroom nodes"),
            Column("headroom_percent", "headroom %"),
        ),
        resource_heading="cluster/node group",
    )
)
register(
    Spec(
        name="capacity.pods_per_node",
        title="Capacity: pods per node",
        checks=("k8s.pods_per_node",),
        columns=(
            Column("nodegroup", "node group"),
            Column("instance_type", "instance type"),
            Column("pods", "pods"),
            Column("allocatable_pods", "allocatable"),
            Column("percent", "used %"),
        ),
        resource_heading="node",
    )
)
register(
    Spec(
        name="capacity.rds_storage",
        title="Capacity: RDS storage (GiB)",
        checks=("rds.storage_capacity",),
        columns=(
            Column("used_gb", "used"),
            Column("allocated_gb", "allocated"),
            Column("used_percent", "used %"),
            Column("max_allocated_gb", "ceiling (max allocated)"),
            Column("used_of_ceiling_percent", "used of ceiling %"),
            Column("autoscaling", "autoscaling"),
        ),
        resource_heading="database",
    )
)
register(
    Spec(
        name="capacity.buckets",
        title="Capacity: S3 bucket sizes (GiB)",
        checks=("s3.bucket_growth",),
        columns=(
            Column("size_gib", "size", digits=2),
            Column("month_ago_gib", "a month ago", digits=2),
            Column("growth_percent", "growth %"),
        ),
        resource_heading="bucket",
    )
)
register(
    Spec(
        name="capacity.forecast",
        title="Capacity: next month's cost forecast",
        checks=("ce.cost_forecast",),
        columns=(
            Column("last_month", "last month", digits=2),
            Column("month_to_date", "this month so far", digits=2),
            Column("projected_this_month", "this month projected", digits=2),
            Column("forecast_next_month", "next month forecast", digits=2),
            Column("forecast_low", "forecast low", digits=2),
            Column("forecast_high", "forecast high", digits=2),
            Column("growth_percent", "vs last month %"),
        ),
        totals=("last_month", "month_to_date", "projected_this_month", "forecast_next_month"),
    )
)
