"""EC2 instances (DescribeInstances) and their CPU over 7 days (one batched GetMetricData)."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.aws import metrics
from opsbook.collect.aws.rds_review import utilisation
from opsbook.collect.aws.review_models import Ec2Instance, Utilisation
from opsbook.core.collectors import CollectContext, collector


@collector("ec2.instances", permissions=("ec2:DescribeInstances",))
def instances(ctx: CollectContext) -> list[Ec2Instance]:
    out: list[Ec2Instance] = []
    for page in ctx.client("ec2").get_paginator("describe_instances").paginate():
        for reservation in page.get("Reservations", []):
            for i in reservation.get("Instances", []):
                tags = {t["Key"]: t.get("Value", "") for t in i.get("Tags", [])}
                out.append(
                    Ec2Instance(
                        id=i["InstanceId"],
                        type=i.get("InstanceType", ""),
                        state=(i.get("State") or {}).get("Name", "unknown"),
                        name=tags.get("Name"),
                        launched_at=i.get("LaunchTime"),
                        tags=tags,
                        lifecycle=i.get("InstanceLifecycle"),
                    )
                )
    return out


@collector("ec2.cpu_7d", permissions=("cloudwatch:GetMetricData",), deps=("ec2.instances",))
def cpu_7d(ctx: CollectContext) -> dict[str, Utilisation]:
    """CPUUtilization (average and max, daily) of the running instances over the last 7 days."""
    running = [i for i in ctx.get("ec2.instances") if i.state == "running"]
    if not running:
        return {}
    queries = []
    for n, inst in enumerate(running):
        dims = {"InstanceId": inst.id}
        queries.append(metrics.metric_query(f"c{n}", "AWS/EC2", "CPUUtilization", dims, "Average", 86400))
        queries.append(metrics.metric_query(f"m{n}", "AWS/EC2", "CPUUtilization", dims, "Maximum", 86400))
    values = metrics.fetch(ctx.client("cloudwatch"), queries, ctx.now - timedelta(days=7), ctx.now)
    return {inst.id: utilisation(values[f"c{n}"], values[f"m{n}"]) for n, inst in enumerate(running)}
