"""`backup-rds` and `restore-rds` on the sandbox through the plan engine, each effect read back through
boto3: the snapshot exists, carries the plan's hash and ManagedBy=opsbook, went `creating` -> `available`
(the wait saw it); re-running apply is a no-op; rollback deletes it. The restored instance is new, in the
source's subnet group, parameter group (the seeded custom one, not RDS's default) and security groups;
an existing identifier is refused at plan and at apply time; rollback deletes only what the plan made."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.errors import InputError, NotFound
from opsbook.procedures.kinds import Clients
from opsbook.procedures.rds_backup import placement, recheck_snapshot
from opsbook.sandbox.aws import rds_lifecycle
from opsbook.sandbox.estate import DATABASE
from tests.procedures.rds_helpers import apply, db, plan, restoring_dev_rds, results, settle

RESTORED = "my-database-restored"


@pytest.fixture()
def dev_rds(sandbox: Any) -> Iterator[Any]:
    """Dev's RDS with quick transitions; afterwards no snapshot or instance a test made is left."""
    gen = restoring_dev_rds(sandbox)
    client = next(gen)
    snapshots = {s["DBSnapshotIdentifier"] for s in client.describe_db_snapshots()["DBSnapshots"]}
    try:
        yield client
    finally:
        if db(client, RESTORED) is not None:
            settle(client, RESTORED)
            client.delete_db_instance(DBInstanceIdentifier=RESTORED, SkipFinalSnapshot=True)
            settle(client, RESTORED, gone=True)
        for snap in client.describe_db_snapshots()["DBSnapshots"]:
            if snap["DBSnapshotIdentifier"] not in snapshots:
                wait_snapshot(client, snap["DBSnapshotIdentifier"])
                client.delete_db_snapshot(DBSnapshotIdentifier=snap["DBSnapshotIdentifier"])
        next(gen, None)


def wait_snapshot(client: Any, name: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if client.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]["Status"] == "available":
            return
        time.sleep(0.05)


def snapshot(client: Any, name: str) -> dict[str, Any] | None:
    found = [s for s in client.describe_db_snapshots()["DBSnapshots"] if s["DBSnapshotIdentifier"] == name]
    return found[0] if found else None


def tags(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("TagList") or []}


def test_backup_takes_a_tagged_snapshot_waits_for_it_reruns_as_a_no_op_and_rolls_back(
    sandbox_config: Any, dev_rds: Any, tmp_path: Path
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    backup = plan(sandbox_config, "backup-rds", db=DATABASE)
    item = backup.items[0]
    name = item.params["snapshot"]
    stamp = datetime.strptime(name.removeprefix(f"{DATABASE}-"), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    assert before <= stamp <= datetime.now(UTC) and stamp == backup.created_at  # UTC, at plan time
    assert "100 GiB postgres" in item.reason and snapshot(dev_rds, name) is None  # planning took none

    progress: list[str] = []
    assert results(apply(sandbox_config, backup, tmp_path, progress)) == ["done"]
    made = snapshot(dev_rds, name)
    assert made is not None and made["Status"] == "available" and made["DBInstanceIdentifier"] == DATABASE
    assert any(p.startswith("creating") for p in progress) and progress[-1].startswith("available")
    source = placement(db(dev_rds) or {})
    assert tags(made) == {
        "opsbook:plan": backup.plan_hash,
        "ManagedBy": "opsbook",
        "opsbook:source-subnet-group": source["subnet_group"],
        "opsbook:source-parameter-group": f"{DATABASE}-params",
        "opsbook:source-security-groups": " ".join(source["security_groups"]),
    }

    assert results(apply(sandbox_config, backup, tmp_path)) == ["already-done"]
    assert [s["DBSnapshotIdentifier"] for s in dev_rds.describe_db_snapshots()["DBSnapshots"]].count(
        name
    ) == 1

    assert results(apply(sandbox_config, backup, tmp_path, rollback=True)) == ["undone"]
    assert snapshot(dev_rds, name) is None


def test_a_name_days_older_than_the_apply_or_taken_by_someone_else_is_not_acted_on(
    sandbox_config: Any, dev_rds: Any, tmp_path: Path
) -> None:
    item = plan(sandbox_config, "backup-rds", db=DATABASE).items[0]
    clients = Clients(lambda service: dev_rds, options={}, plan_hash="sha256:x", now=datetime.now(UTC))
    assert recheck_snapshot(item, clients).state == "eligible"
    later = Clients(
        lambda service: dev_rds, options={}, plan_hash="sha256:x", now=datetime.now(UTC) + timedelta(days=3)
    )
    live = recheck_snapshot(item, later)
    assert live.state == "changed" and "make a new plan" in live.reason and "3 d" in live.reason
    dev_rds.create_db_snapshot(DBInstanceIdentifier=DATABASE, DBSnapshotIdentifier=item.params["snapshot"])
    live = recheck_snapshot(item, clients)
    assert live.state == "changed" and "not made by this plan" in live.reason


def test_restore_goes_into_a_new_instance_where_the_source_runs_and_rolls_back(
    sandbox_config: Any, dev_rds: Any, tmp_path: Path
) -> None:
    backup = plan(sandbox_config, "backup-rds", db=DATABASE)
    assert results(apply(sandbox_config, backup, tmp_path)) == ["done"]
    snap = backup.items[0].params["snapshot"]

    restore = plan(sandbox_config, "restore-rds", snapshot=snap, new_id=RESTORED)
    item = restore.items[0]
    assert (
        "taken 0 min ago, 100 GiB postgres" in item.reason and "as source instance my-database" in item.reason
    )
    assert item.evidence["cost_delta_usd_month"] == 182.5  # db.r5.large postgres, single-AZ: 0.25 x 730
    assert db(dev_rds, RESTORED) is None  # planning restored nothing

    progress: list[str] = []
    was = rds_lifecycle.configure(2.0)  # long enough that a poll sees `creating` on a loaded 2-core machine
    try:
        done = apply(sandbox_config, restore, tmp_path, progress)
    finally:
        rds_lifecycle.configure(was)
    assert results(done) == ["done"], done.outcomes
    new, source = db(dev_rds, RESTORED), db(dev_rds)
    assert new is not None and source is not None and new["DBInstanceStatus"] == "available"
    assert any(p.startswith("creating") for p in progress)
    assert placement(new) == placement(source)  # not RDS's defaults: moto (as AWS) would use those
    assert placement(new)["parameter_group"] == f"{DATABASE}-params"
    assert new["InstanceCreateTime"] > source["InstanceCreateTime"]
    assert tags(new) == {
        "opsbook:plan": restore.plan_hash,
        "ManagedBy": "opsbook",
        "opsbook:restored-from": snap,
    }

    assert results(apply(sandbox_config, restore, tmp_path)) == ["already-done"]
    assert results(apply(sandbox_config, restore, tmp_path, rollback=True)) == ["undone"]
    assert db(dev_rds, RESTORED) is None and db(dev_rds) is not None  # the source is untouched


def test_an_existing_identifier_is_refused_at_plan_and_apply_time_and_never_deleted(
    sandbox_config: Any, dev_rds: Any, tmp_path: Path
) -> None:
    backup = plan(sandbox_config, "backup-rds", db=DATABASE)
    assert results(apply(sandbox_config, backup, tmp_path)) == ["done"]
    snap = backup.items[0].params["snapshot"]
    with pytest.raises(
        InputError, match="my-database already exists in dev/us-east-1: a restore always goes"
    ):
        plan(sandbox_config, "restore-rds", snapshot=snap, new_id=DATABASE)
    with pytest.raises(InputError, match="db.z1d.large is not offered for postgres"):  # not only at apply
        plan(sandbox_config, "restore-rds", snapshot=snap, new_id=RESTORED, instance_class="db.z1d.large")

    restore = plan(sandbox_config, "restore-rds", snapshot=snap, new_id=RESTORED)
    dev_rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier=RESTORED, DBSnapshotIdentifier=snap)
    skipped = apply(sandbox_config, restore, tmp_path)
    assert (
        results(skipped) == ["skipped"] and "a restore always goes into a new" in skipped.outcomes[0].reason
    )
    assert results(apply(sandbox_config, restore, tmp_path, rollback=True)) == []  # nothing it did
    assert db(dev_rds, RESTORED) is not None  # someone else's instance is left alone


@pytest.mark.parametrize(
    ("raw", "error", "words"),
    [
        ({"snapshot": "nope", "new_id": RESTORED}, NotFound, "no DB snapshot 'nope'"),
        ({"snapshot": "a--b", "new_id": RESTORED}, InputError, "--snapshot 'a--b'"),
        ({"snapshot": "x", "new_id": "-x"}, InputError, "--as '-x'"),
        ({"db": "nope"}, NotFound, "have: dev/us-east-1 my-database"),
    ],
)
def test_refused_at_plan_time(sandbox_config: Any, raw: dict[str, Any], error: type, words: str) -> None:
    with pytest.raises(error) as err:
        plan(sandbox_config, "backup-rds" if "db" in raw else "restore-rds", **raw)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_with_the_source_gone_the_snapshot_tags_say_where_and_what_is_given_is_checked(
    sandbox_config: Any, dev_rds: Any
) -> None:
    from opsbook.engine.backup_rds import RestoreRdsParams
    from opsbook.engine.restore_placement import target_placement
    from opsbook.engine.scale_rds import Found

    source = placement(db(dev_rds) or {})
    tagged = {
        "DBInstanceIdentifier": "gone-db",
        "VpcId": "vpc-x",
        "TagList": [
            {"Key": "opsbook:source-subnet-group", "Value": source["subnet_group"]},
            {"Key": "opsbook:source-parameter-group", "Value": f"{DATABASE}-params"},
            {"Key": "opsbook:source-security-groups", "Value": " ".join(source["security_groups"])},
        ],
    }
    found = Found(sandbox_config.account("dev"), "us-east-1", tagged, dev_rds, ())
    params = RestoreRdsParams.model_validate({"snapshot": "s", "as": RESTORED})
    planned, origin, warnings = target_placement(sandbox_config, found, params, None, "restore-rds")
    assert planned == source and "snapshot's tags record; source gone-db is gone" in origin and not warnings

    bare = Found(
        found.account, found.region, {"DBInstanceIdentifier": "gone-db", "VpcId": "vpc-x"}, dev_rds, ()
    )
    with pytest.raises(InputError, match="the source instance is gone: name its --db-subnet-group"):
        target_placement(sandbox_config, bare, params, None, "restore-rds")
    given = RestoreRdsParams.model_validate(
        {"snapshot": "s", "as": RESTORED, "db_subnet_group": source["subnet_group"]}
    )
    planned, _, warnings = target_placement(sandbox_config, bare, given, None, "restore-rds")
    assert planned["parameter_group"] is None and "default parameter group" in warnings[0]
    assert "default security group" in warnings[1]
    for raw, words in (
        ({"parameter_group": "nope"}, "--parameter-group 'nope'"),
        ({"security_group": ["sg-0000"]}, "--security-group sg-0000"),
    ):
        wrong = RestoreRdsParams.model_validate({"snapshot": "s", "as": RESTORED, **raw})
        with pytest.raises(InputError, match=words):
            target_placement(sandbox_config, found, wrong, None, "restore-rds")
