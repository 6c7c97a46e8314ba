"""The RDS item kinds applied to the sandbox through the plan engine, the effect read back through boto3:
the class changes through `modifying` (the wait saw it) and rolls back; at the maintenance window it stays
pending and rollback drops it; a replica is created, replicates and is deleted on rollback; re-running
apply is a no-op; a class changed behind the plan's back is skipped; undo leaves a stranger's replica."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.procedures import rds as rds_kinds
from opsbook.procedures.kinds import Clients
from opsbook.sandbox.estate import DATABASE
from tests.procedures.rds_helpers import REPLICA, apply, db, plan, restoring_dev_rds, results, settle


@pytest.fixture()
def dev_rds(sandbox: Any) -> Iterator[Any]:
    yield from restoring_dev_rds(sandbox)


def test_scale_rds_waits_through_modifying_reruns_as_a_no_op_and_rolls_back(
    sandbox_config: Any, dev_rds: Any, tmp_path: Path
) -> None:
    was = db(dev_rds)["DBInstanceClass"]  # type: ignore[index]
    scale = plan(sandbox_config, "scale-rds", db=DATABASE, instance_class="db.r5.xlarge")
    progress: list[str] = []
    done = apply(sandbox_config, scale, tmp_path, progress)
    assert results(done) == ["done"], done.outcomes
    assert any("modifying" in p for p in progress) and "available, class db.r5.xlarge" in progress[-1]
    now = db(dev_rds)
    assert now is not None and (now["DBInstanceClass"], now["DBInstanceStatus"]) == (
        "db.r5.xlarge",
        "available",
    )

    assert results(apply(sandbox_config, scale, tmp_path)) == ["already-done"]
    assert db(dev_rds)["DBInstanceClass"] == "db.r5.xlarge"  # type: ignore[index]

    back = apply(sandbox_config, scale, tmp_path, rollback=True)
    assert results(back) == ["undone"], back.outcomes
    now = db(dev_rds)
    assert now is not None and (now["DBInstanceClass"], now["DBInstanceStatus"]) == (was, "available")


def test_at_the_maintenance_window_the_class_stays_pending_until_rolled_back(
    sandbox_config: Any, dev_rds: Any, tmp_path: Path
) -> None:
    was = db(dev_rds)["DBInstanceClass"]  # type: ignore[index]
    scale = plan(
        sandbox_config, "scale-rds", db=DATABASE, instance_class="db.m5.large", at_maintenance_window=True
    )
    assert (
        scale.items[0].params["apply_immediately"] is False and "maintenance window" in scale.items[0].reason
    )
    assert results(apply(sandbox_config, scale, tmp_path)) == ["done"]
    now = db(dev_rds)
    assert now is not None and now["DBInstanceClass"] == was and now["DBInstanceStatus"] == "available"
    assert now["PendingModifiedValues"] == {"DBInstanceClass": "db.m5.large"}
    assert results(apply(sandbox_config, scale, tmp_path, rollback=True)) == ["undone"]
    now = db(dev_rds)
    assert now is not None and now["DBInstanceClass"] == was and not now.get("PendingModifiedValues")


def test_a_class_changed_since_the_plan_is_skipped(sandbox_config: Any, dev_rds: Any, tmp_path: Path) -> None:
    scale = plan(sandbox_config, "scale-rds", db=DATABASE, instance_class="db.r5.xlarge")
    dev_rds.modify_db_instance(
        DBInstanceIdentifier=DATABASE, DBInstanceClass="db.r6g.large", ApplyImmediately=True
    )
    settle(dev_rds, DATABASE)
    skipped = apply(sandbox_config, scale, tmp_path)
    assert results(skipped) == ["skipped"] and "is db.r6g.large now" in skipped.outcomes[0].reason
    assert db(dev_rds)["DBInstanceClass"] == "db.r6g.large"  # type: ignore[index]


def test_a_read_replica_is_created_replicates_and_rollback_deletes_it(
    sandbox_config: Any, dev_rds: Any, tmp_path: Path
) -> None:
    replica = plan(sandbox_config, "rds-read-replica", source=DATABASE, name=REPLICA)
    progress: list[str] = []
    assert results(apply(sandbox_config, replica, tmp_path, progress)) == ["done"]
    assert any(p.startswith("creating") for p in progress), progress
    made = db(dev_rds, REPLICA)
    assert made is not None and made["ReadReplicaSourceDBInstanceIdentifier"] == DATABASE
    assert made["DBInstanceStatus"] == "available" and made["StatusInfos"][0]["Status"] == "replicating"
    assert {"Key": rds_kinds.PLAN_TAG, "Value": replica.plan_hash} in made["TagList"]
    assert db(dev_rds)["ReadReplicaDBInstanceIdentifiers"] == [REPLICA]  # type: ignore[index]

    assert results(apply(sandbox_config, replica, tmp_path)) == ["already-done"]
    assert results(apply(sandbox_config, replica, tmp_path, rollback=True)) == ["undone"]
    assert db(dev_rds, REPLICA) is None and not db(dev_rds)["ReadReplicaDBInstanceIdentifiers"]  # type: ignore[index]


def test_undo_leaves_a_replica_this_plan_did_not_create(sandbox_config: Any, dev_rds: Any) -> None:
    replica = plan(sandbox_config, "rds-read-replica", source=DATABASE, name=REPLICA)
    dev_rds.create_db_instance_read_replica(DBInstanceIdentifier=REPLICA, SourceDBInstanceIdentifier=DATABASE)
    settle(dev_rds, REPLICA)
    clients = Clients(
        lambda service: dev_rds, options={}, plan_hash=replica.plan_hash, now=replica.created_at
    )
    with pytest.raises(RuntimeError, match="not created by this plan"):
        rds_kinds.delete_replica(replica.items[0], clients, {})
    assert db(dev_rds, REPLICA) is not None
