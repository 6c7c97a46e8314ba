"""Daily: CloudWatch alarms in ALARM (`aws cloudwatch describe-alarms --state-value ALARM`)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.collect.aws.models import Alarm
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


@check(
    id="cloudwatch.alarms_in_alarm",
    title="CloudWatch alarms in ALARM state",
    section="Daily Operations / Monitoring Checks",
    cadence=("daily",),
    severity=Severity.HIGH,
    needs=("cloudwatch.alarms",),
    permissions=("cloudwatch:DescribeAlarms",),
    remediation="Investigate the alarm's metric and reason: aws cloudwatch describe-alarms --state-value ALARM",
)
def alarms_in_alarm(ctx: CheckContext) -> Iterable[Finding]:
    alarms: list[Alarm] = ctx["cloudwatch.alarms"]
    for a in alarms:
        res = Resource(id=a.name, type="AWS::CloudWatch::Alarm", arn=a.arn)
        metric = f"{a.namespace}/{a.metric}" if a.namespace else (a.metric or "")
        since = a.updated_at.isoformat() if a.updated_at else None
        if a.state == "ALARM":
            yield ctx.failed(
                f"alarm {a.name} is in ALARM since {since or 'unknown'} ({metric}): {a.reason}",
                res,
                metric=metric,
                reason=a.reason,
                since=since,
            )
        else:
            yield ctx.passed(f"alarm {a.name} is {a.state}", res, metric=metric, state=a.state)
