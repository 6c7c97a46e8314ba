"""Tuesday: RDS instances without a recent snapshot; critical S3 buckets without working replication."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from opsbook.collect.aws.keys import RDS_INSTANCES
from opsbook.collect.aws.models import DbInstance
from opsbook.collect.aws.s3_replication import ReplicationSettings
from opsbook.collect.aws.security_models import BucketReplication, DbSnapshot
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class SnapshotSettings(BaseModel):
    max_age_days: int = Field(
        7, ge=1, description="the newest snapshot (automated or manual) must be younger"
    )


@check(
    id="rds.snapshot_missing",
    title="RDS instances without a snapshot in the last 7 days",
    section="Weekly Tasks / Tuesday: Backup Verification",
    cadence=("weekly:tuesday",),
    severity=Severity.HIGH,
    needs=(RDS_INSTANCES, "rds.snapshots"),
    permissions=("rds:DescribeDBInstances", "rds:DescribeDBSnapshots"),
    remediation="opsbook plan backup-rds --db <id> --account <account> (a snapshot named <id>-YYYYMMDD-HHMMSS, "
    "waited to available); check BackupRetentionPeriod > 0 for automated snapshots",
    settings=SnapshotSettings,
)
def snapshot_missing(ctx: CheckContext) -> Iterable[Finding]:
    dbs: list[DbInstance] = ctx[RDS_INSTANCES]
    snaps: list[DbSnapshot] = ctx["rds.snapshots"]
    since = ctx.now - timedelta(days=ctx.settings.max_age_days)
    for db in dbs:
        res = Resource(id=db.id, type="AWS::RDS::DBInstance", arn=db.arn)
        mine = [s for s in snaps if s.instance == db.id and s.created is not None and s.status == "available"]
        latest = max(mine, key=lambda s: s.created or since, default=None)
        info = {
            "latest_snapshot": latest.id if latest else None,
            "latest_type": latest.type if latest else None,
            "latest_at": latest.created.isoformat() if latest and latest.created else None,
            "snapshots": len(mine),
        }
        if latest is not None and latest.created is not None and latest.created >= since:
            yield ctx.passed(
                f"{db.id}: {latest.type} snapshot {latest.id} at {latest.created:%Y-%m-%d %H:%M}", res, **info
            )
        elif latest is None:
            yield ctx.failed(f"{db.id}: no available snapshot at all", res, None, **info)
        else:
            age = (ctx.now - latest.created).days if latest.created else None
            yield ctx.failed(f"{db.id}: newest snapshot {latest.id} is {age} days old", res, None, **info)


@check(
    id="s3.critical_bucket_replication",
    title="Critical S3 buckets without replication or with a disabled rule",
    section="Weekly Tasks / Tuesday: Backup Verification",
    cadence=("weekly:tuesday",),
    severity=Severity.HIGH,
    needs=("s3.critical_replication",),
    permissions=("s3:ListAllMyBuckets", "s3:GetReplicationConfiguration"),
    remediation="aws s3api get-bucket-replication --bucket <bucket>; enable versioning and add an Enabled "
    "replication rule (put-bucket-replication) in the bucket's Terraform component",
    settings=ReplicationSettings,
)
def critical_bucket_replication(ctx: CheckContext) -> Iterable[Finding]:
    buckets: list[BucketReplication] | None = ctx["s3.critical_replication"]
    if buckets is None:  # S3 is global: read in the account's first region only
        return
    for b in buckets:
        res = Resource(id=b.bucket, type="AWS::S3::Bucket", arn=f"arn:aws:s3:::{b.bucket}")
        rules = [{"id": i, "status": st, "destination": d} for i, st, d in b.rules]
        disabled = [i for i, st, _ in b.rules if st != "Enabled"]
        if not b.configured or not b.rules:
            yield ctx.failed(f"critical bucket {b.bucket} has no replication", res, None, rules=rules)
        elif disabled:
            yield ctx.failed(
                f"critical bucket {b.bucket}: replication rule(s) {', '.join(disabled)} disabled",
                res,
                None,
                rules=rules,
            )
        else:
            dests = sorted({d for _, _, d in b.rules})
            yield ctx.passed(f"critical bucket {b.bucket} replicates to {', '.join(dests)}", res, rules=rules)
