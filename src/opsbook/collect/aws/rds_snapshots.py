"""RDS DB snapshots, automated and manual (one paginated DescribeDBSnapshots per target)."""

from __future__ import annotations

from opsbook.collect.aws.security_models import DbSnapshot
from opsbook.core.collectors import CollectContext, collector


@collector("rds.snapshots", permissions=("rds:DescribeDBSnapshots",))
def snapshots(ctx: CollectContext) -> list[DbSnapshot]:
    out: list[DbSnapshot] = []
    for page in ctx.client("rds").get_paginator("describe_db_snapshots").paginate():
        for s in page.get("DBSnapshots", []):
            out.append(
                DbSnapshot(
                    id=s["DBSnapshotIdentifier"],
                    instance=s.get("DBInstanceIdentifier", ""),
                    type=s.get("SnapshotType", "manual"),
                    status=s.get("Status", ""),
                    created=s.get("SnapshotCreateTime"),
                )
            )
    return out
