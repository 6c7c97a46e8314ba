"""RDS snapshots and restores take time, as on AWS; moto makes both at once.

- CreateDBSnapshot: the snapshot is `creating` (PercentProgress 0) for `TIMING.seconds`, then `available`
  (100). The instance must be `available` (InvalidDBInstanceState otherwise).
- DeleteDBSnapshot: only an `available` snapshot (InvalidDBSnapshotState otherwise).
- RestoreDBInstanceFromDBSnapshot: refused while the snapshot is not `available`, or when the new
  identifier exists; the new instance is `creating` for `TIMING.seconds`, then `available`. It is created
  now, carries only the tags given (not the source's), and, as on AWS, the parameter group and security
  groups are RDS's defaults unless the call names them (moto already does that).

The timing and the lazy settling are rds_lifecycle.py's (DescribeDBSnapshots settles too).
"""

from __future__ import annotations

from typing import Any

from opsbook.sandbox.aws import rds_lifecycle as life
from opsbook.sandbox.aws.fixes import patch

SNAPSHOT = "snapshot:"  # the transition key of a snapshot (instances and snapshots may share a name)


def _finish_snapshot(backend: Any, key: str, t: life.Transition) -> None:
    snapshot = backend.database_snapshots.get(key.removeprefix(SNAPSHOT))
    if snapshot is not None:
        snapshot.status = "available"
        snapshot.percent_progress = 100


def apply() -> None:
    from moto.rds.models import RDSBackend

    life.FINISH["snapshot-created"] = _finish_snapshot
    patch(RDSBackend, "describe_db_snapshots", _settling)
    patch(RDSBackend, "create_db_snapshot", _creating)
    patch(RDSBackend, "delete_db_snapshot", _deleting)
    patch(RDSBackend, "restore_db_instance_from_db_snapshot", _restoring)


def _settling(original: Any) -> Any:
    def describe_db_snapshots(self: Any, *args: Any, **kwargs: Any) -> Any:
        life.settle(self)
        return original(self, *args, **kwargs)

    return describe_db_snapshots


def _creating(original: Any) -> Any:
    def create_db_snapshot(
        self: Any, db_instance_identifier: str, db_snapshot_identifier: str, *args: Any, **kwargs: Any
    ) -> Any:
        life.settle(self)
        db = self.databases.get(db_instance_identifier)
        if db is not None and db.status != "available":
            raise life.error(
                "InvalidDBInstanceState",
                f"Cannot create a snapshot because the database instance {db_instance_identifier} "
                f"is not currently in the available state (it is {db.status}).",
            )
        snapshot = original(self, db_instance_identifier, db_snapshot_identifier, *args, **kwargs)
        if life.TIMING.seconds > 0 and kwargs.get("snapshot_type", "manual") == "manual":
            snapshot.status, snapshot.percent_progress = "creating", 0
            life.start(self, SNAPSHOT + snapshot.db_snapshot_identifier, "snapshot-created")
        return snapshot

    return create_db_snapshot


def _deleting(original: Any) -> Any:
    def delete_db_snapshot(self: Any, db_snapshot_identifier: str) -> Any:
        life.settle(self)
        snapshot = self.database_snapshots.get(db_snapshot_identifier)
        if snapshot is not None and snapshot.status != "available":
            raise life.error(
                "InvalidDBSnapshotState",
                f"Cannot delete the snapshot because it is not in available state (it is {snapshot.status}).",
            )
        return original(self, db_snapshot_identifier)

    return delete_db_snapshot


def _restoring(original: Any) -> Any:
    def restore_db_instance_from_db_snapshot(
        self: Any, from_snapshot_id: str, overrides: dict[str, Any]
    ) -> Any:
        from moto.core.utils import utcnow

        life.settle(self)
        name = from_snapshot_id.rsplit(":", 1)[-1].lower()
        snapshot = self.database_snapshots.get(name)
        if snapshot is not None and snapshot.status != "available":
            raise life.error(
                "InvalidDBSnapshotState",
                f"Snapshot {name} is not in available state (it is {snapshot.status}).",
            )
        db = original(self, from_snapshot_id, overrides)
        db.created = db.instance_create_time = utcnow()
        if not overrides.get("tags"):
            db.tags = []
        db.pending_modified_values = {}
        db.status_infos = []
        if life.TIMING.seconds > 0:
            db.status = "creating"
            life.start(self, db.db_instance_identifier, "restored")  # ends as any instance: available
        return db

    return restore_db_instance_from_db_snapshot
