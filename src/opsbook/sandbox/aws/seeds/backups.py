"""Tuesday's backup verification, seeded so that each check passes and fails.

| check                          | passes                                   | fails                                         |
|--------------------------------|------------------------------------------|-----------------------------------------------|
| rds.snapshot_missing           | dev/staging `my-database` (automated, today) | prod `my-database`: backups off, newest snapshot |
|                                |                                          | the manual one taken MANUAL_SNAPSHOT_AGE ago  |
| s3.critical_bucket_replication | prod `my-bucket-prod` replicates         | dev `my-bucket-dev` none; staging disabled rule|

prod's `my-database` has automated backups off (seed.RDS_BACKUPS_OFF), so it has no automated snapshot; its
manual snapshot is named for the day it was taken, and dated so in `finish()` (no API can date one).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.aws import backdate
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.seed import RDS_BACKUPS_OFF
from opsbook.sandbox.estate import DATABASE, SandboxAccount

MANUAL_SNAPSHOT_AGE = timedelta(days=10)  # older than rds.snapshot_missing's 7 days
_SNAPSHOTS: list[tuple[str, str, datetime]] = []  # (account id, snapshot id, taken at), dated in finish()


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    if acct.name in RDS_BACKUPS_OFF:
        taken = now - MANUAL_SNAPSHOT_AGE
        name = f"{DATABASE}-before-upgrade-{taken:%Y-%m-%d}"
        client("rds").create_db_snapshot(DBInstanceIdentifier=DATABASE, DBSnapshotIdentifier=name)
        _SNAPSHOTS.append((acct.id, name, taken))
    seed_buckets(client, acct)


def seed_buckets(client: Any, acct: SandboxAccount) -> None:
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
    for account_id, name, taken in _SNAPSHOTS:
        backdate.db_snapshot(account_id, name, taken)
    _SNAPSHOTS.clear()
