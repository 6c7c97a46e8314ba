"""Daily: RDS instances not `available` (`aws rds describe-db-instances`)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.collect.aws.keys import RDS_INSTANCES
from opsbook.collect.aws.models import DbInstance
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


def db_resource(db: DbInstance) -> Resource:
    return Resource(id=db.id, type="AWS::RDS::DBInstance", arn=db.arn)


@check(
    id="rds.instance_not_available",
    title="RDS instances not available",
    section="Daily Operations / Morning Health Checks",
    cadence=("daily",),
    severity=Severity.HIGH,
    needs=(RDS_INSTANCES,),
    permissions=("rds:DescribeDBInstances",),
    remediation="aws rds describe-db-instances --db-instance-identifier <id>; start it or check events",
)
def rds_not_available(ctx: CheckContext) -> Iterable[Finding]:
    dbs: list[DbInstance] = ctx[RDS_INSTANCES]
    for db in dbs:
        info = {"status": db.status, "class": db.instance_class, "engine": db.engine}
        if db.status == "available":
            yield ctx.passed(f"{db.id} is available", db_resource(db), **info)
        else:
            yield ctx.failed(
                f"{db.id} is {db.status} ({db.engine}, {db.instance_class})", db_resource(db), **info
            )
