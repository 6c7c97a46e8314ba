"""Shared by the `backup-all` tests: the session sandbox with quick RDS snapshots and Velero backups, and,
afterwards, every snapshot, Velero Backup and backup bucket a test made removed (moto's state and the fake
cluster are process-wide)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from opsbook.sandbox.aws import rds_lifecycle
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import ACCOUNTS

BACKUPS = "backups.velero.io"


def snapshots(rds: Any) -> dict[str, dict[str, Any]]:
    return {s["DBSnapshotIdentifier"]: s for s in rds.describe_db_snapshots()["DBSnapshots"]}


def _settled(rds: Any, name: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and snapshots(rds).get(name, {}).get("Status") == "creating":
        time.sleep(0.05)


def _empty_and_delete(s3: Any, bucket: str) -> None:
    listed = s3.list_object_versions(Bucket=bucket)
    for v in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
    s3.delete_bucket(Bucket=bucket)


def clients(sandbox: Any) -> dict[str, Any]:
    """account name -> `make(service)` for that account's boto3 clients."""
    return {a.name: clients_for(sandbox.aws_url, a) for a in ACCOUNTS}


def quick_and_clean(sandbox: Any) -> Iterator[dict[str, Any]]:
    """(For a fixture) account -> clients; afterwards what the test made is gone."""
    was, velero = rds_lifecycle.configure(0.3), sandbox.kube.controllers.velero
    seconds, velero.seconds = velero.seconds, 0.3
    made = clients(sandbox)
    before = {n: set(snapshots(c("rds"))) for n, c in made.items()}
    buckets = {n: {b["Name"] for b in c("s3").list_buckets()["Buckets"]} for n, c in made.items()}
    store = sandbox.kube.store
    backups = {b["metadata"]["name"] for b in store.list(BACKUPS, "velero")}
    try:
        yield made
    finally:
        for name, make in made.items():
            rds, s3 = make("rds"), make("s3")
            for snap in set(snapshots(rds)) - before[name]:
                _settled(rds, snap)
                rds.delete_db_snapshot(DBSnapshotIdentifier=snap)
            for bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]} - buckets[name]:
                _empty_and_delete(s3, bucket)
        for b in store.list(BACKUPS, "velero"):
            if b["metadata"]["name"] not in backups:
                store.delete(BACKUPS, b["metadata"]["name"], "velero")
        velero.seconds = seconds
        rds_lifecycle.configure(was)
