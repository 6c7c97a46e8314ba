"""Pure tests of Tuesday's backup verification checks."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.aws.models import DbInstance
from opsbook.collect.aws.security_models import BucketReplication, DbSnapshot
from opsbook.core.models import Status
from tests.checks.helpers import NOW, by_status, run_check


def db(i: str) -> DbInstance:
    return DbInstance(
        id=i, arn=f"arn:db:{i}", status="available", instance_class="db.t3.micro", engine="postgres"
    )


def snap(
    i: str, instance: str, days: float, kind: str = "automated", status: str = "available"
) -> DbSnapshot:
    return DbSnapshot(id=i, instance=instance, type=kind, status=status, created=NOW - timedelta(days=days))


def test_rds_snapshot_missing() -> None:
    inv = {
        "rds.instances": [db("fresh"), db("stale"), db("none"), db("creating")],
        "rds.snapshots": [
            snap("s1", "fresh", 10),
            snap("s2", "fresh", 1, "manual"),
            snap("s3", "stale", 9),
            snap("s4", "creating", 0.1, status="creating"),
        ],
    }
    s = by_status(run_check("rds.snapshot_missing", inv))
    assert [f.resource.id for f in s[Status.PASS] if f.resource] == ["fresh"]
    assert (
        s[Status.PASS][0].details["latest_snapshot"] == "s2"
        and s[Status.PASS][0].details["latest_type"] == "manual"
    )
    fails = {f.resource.id: f.message for f in s[Status.FAIL] if f.resource}
    assert set(fails) == {"stale", "none", "creating"}
    assert "9 days old" in fails["stale"] and "no available snapshot" in fails["none"]
    assert (
        by_status(run_check("rds.snapshot_missing", inv, {"max_age_days": 14}))[Status.PASS][1].resource.id
        == "stale"
    )  # type: ignore[union-attr]


def test_critical_bucket_replication() -> None:
    buckets = [
        BucketReplication(bucket="ok", configured=True, rules=[("r", "Enabled", "dr")]),
        BucketReplication(bucket="none", configured=False),
        BucketReplication(
            bucket="off", configured=True, rules=[("r1", "Enabled", "dr"), ("r2", "Disabled", "dr2")]
        ),
    ]
    s = by_status(run_check("s3.critical_bucket_replication", {"s3.critical_replication": buckets}))
    assert [f.resource.id for f in s[Status.PASS] if f.resource] == ["ok"]
    fails = {f.resource.id: f.message for f in s[Status.FAIL] if f.resource}
    assert "no replication" in fails["none"] and "r2 disabled" in fails["off"]
    assert run_check("s3.critical_bucket_replication", {"s3.critical_replication": None}) == []
