"""Thursday: underutilised EC2 and RDS instances over the last 7 days.

Load balancers with almost no requests are `elbv2.idle_load_balancers` (same review, same inventory).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.checks.aws.rds_status import db_resource
from opsbook.collect.aws.keys import RDS_INSTANCES
from opsbook.collect.aws.models import DbInstance
from opsbook.collect.aws.review_models import Ec2Instance, Utilisation
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Ec2Settings(BaseModel):
    max_cpu_percent: float = Field(5.0, gt=0, le=100, description="7-day average CPU under this fails")
    keep_tag: str = Field("opsbook:keep", description="instances with this tag key are not judged")


class RdsSettings(BaseModel):
    max_cpu_percent: float = Field(5.0, gt=0, le=100, description="7-day average CPU under this fails")
    min_connections: float = Field(1.0, ge=0, description="fewer peak connections than this in 7 days fails")


def usage(u: Utilisation) -> dict[str, float | int | None]:
    return {"cpu_avg_7d": u.cpu_avg, "cpu_max_7d": u.cpu_max, "connections_max_7d": u.connections_max}


@check(
    id="ec2.underutilised_instances",
    title="Underutilised EC2 instances (7-day average CPU)",
    section="Weekly Tasks / Thursday: Cost Review",
    cadence=("weekly:thursday",),
    severity=Severity.LOW,
    needs=("ec2.instances", "ec2.cpu_7d"),
    permissions=("ec2:DescribeInstances", "cloudwatch:GetMetricData"),
    remediation="Right-size (aws ec2 modify-instance-attribute --instance-type <smaller>) or stop it: "
    "aws ec2 stop-instances --instance-ids <id>",
    settings=Ec2Settings,
)
def ec2_underutilised(ctx: CheckContext) -> Iterable[Finding]:
    s: Ec2Settings = ctx.settings
    cpu: dict[str, Utilisation] = ctx["ec2.cpu_7d"]
    instances: list[Ec2Instance] = ctx["ec2.instances"]
    for inst in instances:
        if inst.state != "running" or s.keep_tag in inst.tags:
            continue
        res = Resource(id=inst.id, type="AWS::EC2::Instance", name=inst.name)
        u = cpu.get(inst.id, Utilisation())
        info = usage(u) | {"instance_type": inst.type, "threshold": s.max_cpu_percent}
        label = f"{inst.id}" + (f" ({inst.name})" if inst.name else "")
        if u.cpu_avg is None:
            yield ctx.skipped(f"{label}: no CPUUtilization datapoints in the last 7 days", res, **info)
        elif u.cpu_avg < s.max_cpu_percent:
            yield ctx.failed(
                f"{label} {inst.type}: CPU averaged {u.cpu_avg:.1f}% over 7 days (< {s.max_cpu_percent:g}%)",
                res,
                **info,
            )
        else:
            yield ctx.passed(f"{label} {inst.type}: CPU averaged {u.cpu_avg:.1f}% over 7 days", res, **info)


@check(
    id="rds.underutilised_instances",
    title="Underutilised RDS instances (7-day CPU, connections)",
    section="Weekly Tasks / Thursday: Cost Review",
    cadence=("weekly:thursday",),
    severity=Severity.LOW,
    needs=(RDS_INSTANCES, "rds.utilisation_7d"),
    permissions=("rds:DescribeDBInstances", "cloudwatch:GetMetricData"),
    remediation="Downsize (opsbook plan scale-rds --db <id> --class <smaller>) or, with no connections, "
    "snapshot and delete it",
    settings=RdsSettings,
)
def rds_underutilised(ctx: CheckContext) -> Iterable[Finding]:
    s: RdsSettings = ctx.settings
    used: dict[str, Utilisation] = ctx["rds.utilisation_7d"]
    dbs: list[DbInstance] = ctx[RDS_INSTANCES]
    for db in dbs:
        u = used.get(db.id, Utilisation())
        info = usage(u) | {"class": db.instance_class, "cpu_threshold": s.max_cpu_percent}
        if db.status != "available" or (u.cpu_avg is None and u.connections_max is None):
            yield ctx.skipped(f"{db.id}: {db.status}, no metrics in the last 7 days", db_resource(db), **info)
            continue
        problems = []
        if u.connections_max is not None and u.connections_max < s.min_connections:
            problems.append(f"at most {u.connections_max:.0f} connections in 7 days")
        if u.cpu_avg is not None and u.cpu_avg < s.max_cpu_percent:
            problems.append(f"CPU averaged {u.cpu_avg:.1f}% (< {s.max_cpu_percent:g}%)")
        if problems:
            yield ctx.failed(f"{db.id} {db.instance_class}: " + ", ".join(problems), db_resource(db), **info)
        else:
            cpu = f"{u.cpu_avg:.1f}%" if u.cpu_avg is not None else "n/a"
            yield ctx.passed(
                f"{db.id}: CPU averaged {cpu}, up to {u.connections_max or 0:.0f} connections",
                db_resource(db),
                **info,
            )
