"""RDS instances and their CPU over the last hour."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.aws import metrics
from opsbook.collect.aws.keys import RDS_INSTANCES
from opsbook.collect.aws.models import DbInstance, MetricSummary
from opsbook.core.collectors import CollectContext, collector


@collector(RDS_INSTANCES, permissions=("rds:DescribeDBInstances",))
def instances(ctx: CollectContext) -> list[DbInstance]:
    out: list[DbInstance] = []
    for page in ctx.client("rds").get_paginator("describe_db_instances").paginate():
        for db in page.get("DBInstances", []):
            out.append(
                DbInstance(
                    id=db["DBInstanceIdentifier"],
                    arn=db["DBInstanceArn"],
                    status=db["DBInstanceStatus"],
                    instance_class=db["DBInstanceClass"],
                    engine=db["Engine"],
                    allocated_storage=int(db.get("AllocatedStorage") or 0),
                    max_allocated_storage=db.get("MaxAllocatedStorage"),
                    multi_az=bool(db.get("MultiAZ")),
                )
            )
    return out


@collector("rds.cpu_1h", permissions=("cloudwatch:GetMetricData",), deps=(RDS_INSTANCES,))
def cpu_last_hour(ctx: CollectContext) -> dict[str, MetricSummary]:
    dbs: list[DbInstance] = ctx.get(RDS_INSTANCES)
    if not dbs:
        return {}
    queries = [
        metrics.metric_query(
            f"q{i}", "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": db.id}, "Average", 300
        )
        for i, db in enumerate(dbs)
    ]
    values = metrics.fetch(ctx.client("cloudwatch"), queries, ctx.now - timedelta(hours=1), ctx.now)
    return {db.id: metrics.summarise(values[f"q{i}"], "Average") for i, db in enumerate(dbs)}
