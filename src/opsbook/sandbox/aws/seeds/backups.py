"""Tuesday's backup verification, seeded so that each check passes and fails.

| check                          | passes                                   | fails                                         |
|--------------------------------|------------------------------------------|-----------------------------------------------|
| rds.snapshot_missing           | dev/staging `my-database` (today)        | prod `my-database`: newest snapshot 10 days old|
| s3.critical_bucket_replication | prod `my-bucket-prod` replicates         | dev `my-bucket-dev` none; staging disabled rule|

moto's CreateDBInstance takes an automated snapshot stamped "now"; prod's snapshots are moved 10 days
back on moto's backend in `finish()` (no API can date a snapshot).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.estate import DATABASE, REGION, SandboxAccount, account


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    s3 = client("s3")
    bucket = f"my-bucket-{acct.name}"
    s3.create_bucket(Bucket=bucket)
    if acct.name == "dev":
        return  # a critical bucket without replication
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    replica = f"replica-of-my-bucket-{acct.name}"
    s3.create_bucket(Bucket=replica)
    s3.put_bucket_versioning(Bucket=replica, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(
        Bucket=bucket,
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{acct.id}:role/s3-replication",
            "Rules": [
                {
                    "ID": "to-dr",
                    "Priority": 1,
                    "Filter": {"Prefix": ""},
                    "Status": "Disabled" if acct.name == "staging" else "Enabled",
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": f"arn:aws:s3:::{replica}"},
                }
            ],
        },
    )


def finish(now: datetime, data: SandboxData) -> None:
    from moto.rds.models import rds_backends

    backend = rds_backends[account("prod").id][REGION]
    for snap in list(backend.database_snapshots.values()):
        if snap.database.db_instance_identifier == DATABASE:
            snap.created = now - timedelta(days=10)
