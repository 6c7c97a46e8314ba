"""CloudWatch alarms: one paginated DescribeAlarms per target, all states."""

from __future__ import annotations

from opsbook.collect.aws.models import Alarm
from opsbook.core.collectors import CollectContext, collector


@collector("cloudwatch.alarms", permissions=("cloudwatch:DescribeAlarms",))
def alarms(ctx: CollectContext) -> list[Alarm]:
    out: list[Alarm] = []
    for page in (
        ctx.client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    ):
        for a in page.get("MetricAlarms", []):
            out.append(
                Alarm(
                    name=a["AlarmName"],
                    arn=a["AlarmArn"],
                    state=a["StateValue"],
                    namespace=a.get("Namespace"),
                    metric=a.get("MetricName"),
                    reason=a.get("StateReason", ""),
                    updated_at=a.get("StateUpdatedTimestamp"),
                )
            )
    return out
