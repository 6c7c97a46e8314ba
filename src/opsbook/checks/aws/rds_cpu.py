"""Daily: RDS CPUUtilization average over the last hour above a threshold."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.checks.aws.rds_status import db_resource
from opsbook.collect.aws.keys import RDS_INSTANCES
from opsbook.collect.aws.models import DbInstance, MetricSummary
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity


class Settings(BaseModel):
    cpu_percent: float = Field(80.0, gt=0, le=100, description="average CPU % over the last hour")


@check(
    id="rds.cpu_high",
    title="RDS CPU above threshold over the last hour",
    section="Daily Operations / Performance Checks",
    cadence=("daily",),
    severity=Severity.MEDIUM,
    needs=(RDS_INSTANCES, "rds.cpu_1h"),
    permissions=("rds:DescribeDBInstances", "cloudwatch:GetMetricData"),
    remediation="Find the load (Performance Insights, slow query log); scale the class if sustained: "
    "opsbook plan scale-rds --db <id> --class <bigger> (aws rds modify-db-instance ... --db-instance-class)",
    settings=Settings,
)
def rds_cpu_high(ctx: CheckContext) -> Iterable[Finding]:
    limit = ctx.settings.cpu_percent
    cpu: dict[str, MetricSummary] = ctx["rds.cpu_1h"]
    dbs: list[DbInstance] = ctx[RDS_INSTANCES]
    for db in dbs:
        m = cpu.get(db.id)
        if m is None or m.average is None:
            yield ctx.skipped(f"{db.id}: no CPUUtilization datapoints in the last hour", db_resource(db))
            continue
        info = {"cpu_avg": round(m.average, 1), "cpu_max": m.maximum, "threshold": limit}
        if m.average > limit:
            yield ctx.failed(f"{db.id} CPU averaged {m.average:.1f}% (> {limit:g}%)", db_resource(db), **info)
        else:
            yield ctx.passed(f"{db.id} CPU averaged {m.average:.1f}%", db_resource(db), **info)
