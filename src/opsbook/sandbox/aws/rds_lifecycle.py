"""RDS instances change over time, as on AWS; moto changes them at once.

- ModifyDBInstance with a new DBInstanceClass and ApplyImmediately: the instance is `modifying` (the new
  class in PendingModifiedValues) for `TIMING.seconds`, then `available` with the new class. Without
  ApplyImmediately the class waits in PendingModifiedValues for the maintenance window, which never comes
  in the sandbox; asking for the current class again drops the pending change. A class change needs the
  instance `available` (InvalidDBInstanceState otherwise).
- CreateDBInstanceReadReplica: refused as AWS refuses it (the name exists, the source is not `available`
  or keeps no automated backups); the replica is `creating` for `TIMING.seconds`, then `available` with
  StatusInfos `read replication: replicating`. It is a new instance (created now, its own tags and lists,
  single-AZ, no backups of its own), not moto's shallow copy of the source.
- DeleteDBInstance: the instance is `deleting` for `TIMING.seconds`, then gone.

Transitions are settled lazily: every DescribeDBInstances (and every backend call that looks an instance
up through it) first finishes the transitions whose time has come. `TIMING.seconds` comes from
OPSBOOK_SANDBOX_RDS_SECONDS (default 5); tests set it shorter with `configure()`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opsbook.sandbox.aws.fixes import patch

SECONDS_ENV = "OPSBOOK_SANDBOX_RDS_SECONDS"
REPLICATING = {"StatusType": "read replication", "Normal": True, "Status": "replicating"}


@dataclass
class Timing:
    seconds: float


TIMING = Timing(float(os.environ.get(SECONDS_ENV) or 5.0))


def configure(seconds: float) -> float:
    """Set how long a transition lasts; returns the previous value (for tests to restore)."""
    was, TIMING.seconds = TIMING.seconds, seconds
    return was


@dataclass
class Transition:
    until: float  # time.time() when it ends
    end: str  # "modified" | "created" | "deleted"
    value: str = ""  # the new class of a modification


_LOCK = threading.RLock()
_PENDING: dict[tuple[str, str, str], Transition] = {}  # (account, region, identifier) -> transition


def _key(backend: Any, identifier: str) -> tuple[str, str, str]:
    return backend.account_id, backend.region_name, identifier


def start(backend: Any, identifier: str, end: str, value: str = "") -> None:
    with _LOCK:
        _PENDING[_key(backend, identifier)] = Transition(time.time() + TIMING.seconds, end, value)


def pending() -> bool:
    """Any transition still to settle (the read-response cache keeps nothing meanwhile)."""
    return bool(_PENDING)


def settle(backend: Any) -> None:
    """Finish this backend's transitions whose time has come."""
    now = time.time()
    with _LOCK:
        due = [
            (key, t)
            for key, t in _PENDING.items()
            if key[:2] == (backend.account_id, backend.region_name) and t.until <= now
        ]
        for key, t in due:
            del _PENDING[key]
            FINISH.get(t.end, _finish_instance)(backend, key[2], t)


def _finish_instance(backend: Any, identifier: str, t: Transition) -> None:
    db = backend.databases.get(identifier)
    if db is None:
        return
    if t.end == "deleted":
        del backend.databases[identifier]
        return
    if t.end == "modified":
        db.db_instance_class = t.value
        db.pending_modified_values = {
            k: v for k, v in (db.pending_modified_values or {}).items() if k != "DBInstanceClass"
        }
    if t.end == "created":
        db.status_infos = [dict(REPLICATING)]
    db.status = "available"


# how other kinds of transition end (rds_snapshots.py adds its own); the default is an instance's
FINISH: dict[str, Callable[[Any, str, Transition], None]] = {}


def error(code: str, message: str) -> Exception:
    from moto.rds.exceptions import RDSClientError

    return RDSClientError(code, message)


def apply() -> None:
    """Patch moto's RDS backend (once per process) and forget the transitions of an earlier sandbox."""
    from moto.rds.models import RDSBackend

    with _LOCK:
        _PENDING.clear()
    patch(RDSBackend, "describe_db_instances", _settling)
    patch(RDSBackend, "modify_db_instance", _modifying)
    patch(RDSBackend, "create_db_instance_read_replica", _creating_replica)
    patch(RDSBackend, "delete_db_instance", _deleting)


def _settling(original: Any) -> Any:
    def describe_db_instances(self: Any, *args: Any, **kwargs: Any) -> Any:
        settle(self)
        return original(self, *args, **kwargs)

    return describe_db_instances


def _modifying(original: Any) -> Any:
    def modify_db_instance(self: Any, db_instance_identifier: str, db_kwargs: dict[str, Any]) -> Any:
        db = self.describe_db_instances(db_instance_identifier)[0]
        new = db_kwargs.pop("db_instance_class", None)
        if not new:
            return original(self, db_instance_identifier, db_kwargs)
        if db.status != "available":
            raise error(
                "InvalidDBInstanceState",
                f"Database instance {db_instance_identifier} is not in available state.",
            )
        database = original(self, db_instance_identifier, db_kwargs)
        pending = {k: v for k, v in (getattr(db, "pending_modified_values", None) or {}).items()}
        pending.pop("DBInstanceClass", None)
        if new != db.db_instance_class:
            pending["DBInstanceClass"] = new
        database.pending_modified_values = pending
        if new != db.db_instance_class and db_kwargs.get("apply_immediately"):
            database.status = "modifying"
            start(self, database.db_instance_identifier, "modified", new)
        return database

    return modify_db_instance


def _creating_replica(original: Any) -> Any:
    def create_db_instance_read_replica(self: Any, db_kwargs: dict[str, Any]) -> Any:
        from moto.core.utils import utcnow
        from moto.rds.exceptions import DBInstanceAlreadyExists

        name = db_kwargs["db_instance_identifier"]
        settle(self)
        if name in self.databases:
            raise DBInstanceAlreadyExists()
        source = self.find_db_from_id(db_kwargs["source_db_instance_identifier"])
        if source.status != "available":
            raise error(
                "InvalidDBInstanceState",
                f"Instance {source.db_instance_identifier} is not in available state (it is {source.status}).",
            )
        if not source.backup_retention_period:
            raise error(
                "InvalidDBInstanceState",
                "Automated backups are not enabled for this database instance. To enable automated backups, "
                "use ModifyDBInstance to set the backup retention period to a non-zero value.",
            )
        replica = original(self, db_kwargs)
        replica.created = replica.instance_create_time = utcnow()
        if not db_kwargs.get("tags"):  # given ones are set by moto; none: not the source's list
            replica.tags = []
        replica.vpc_security_group_ids = list(source.vpc_security_group_ids)
        replica.multi_az = bool(db_kwargs.get("multi_az"))
        replica.backup_retention_period = 0
        replica.pending_modified_values = {}
        replica.status_infos = []
        replica.status = "creating"
        start(self, name, "created")
        return replica

    return create_db_instance_read_replica


def _deleting(original: Any) -> Any:
    def delete_db_instance(self: Any, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
        settle(self)
        db = self.databases.get(db_instance_identifier)
        if db is not None and db.status == "deleting":
            raise error(
                "InvalidDBInstanceState", f"Instance {db_instance_identifier} is already being deleted."
            )
        database = original(self, db_instance_identifier, *args, **kwargs)
        if TIMING.seconds > 0:
            self.databases[db_instance_identifier] = database  # still listed while it is deleted
            start(self, db_instance_identifier, "deleted")
        return database

    return delete_db_instance
