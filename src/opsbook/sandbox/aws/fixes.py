"""Where moto does what AWS does not, made to behave like AWS (applied once when the sandbox starts)."""

from __future__ import annotations

from typing import Any

from opsbook.sandbox.aws.backdate import STOPPED_EVENT


def apply() -> None:
    from opsbook.sandbox.aws import rds_lifecycle, rds_snapshots, tls

    no_automated_backups_without_retention()
    stopping_records_an_event()
    rds_lifecycle.apply()  # modifying, creating and deleting take time
    rds_snapshots.apply()  # so do snapshots and restores
    tls.apply()  # certificates are validated before they are issued; listeners keep their SNI certificates


def patch(cls: Any, name: str, make: Any) -> None:
    """Replace `cls.name` with `make(original)`, once (the sandbox may start more than once per process)."""
    original = getattr(cls, name)
    if getattr(original, "opsbook_fix", False):
        return
    fixed = make(original)
    fixed.opsbook_fix = True
    setattr(cls, name, fixed)


def no_automated_backups_without_retention() -> None:
    """moto takes an automated snapshot of every new DB instance; AWS takes none while the instance's
    BackupRetentionPeriod is 0 (automated backups off), so `rds.snapshot_missing` sees it unprotected."""
    from moto.rds.models import DBInstance

    def make(original: Any) -> Any:
        def save_automated_backup(self: Any) -> None:
            if self.backup_retention_period:
                original(self)

        return save_automated_backup

    patch(DBInstance, "save_automated_backup", make)


def stopping_records_an_event() -> None:
    """RDS records `DB instance stopped` (RDS-EVENT-0087) when an instance stops; moto records nothing,
    so nothing would tell when a stopped instance's automated backups stopped."""
    from moto.rds.models import Event, RDSBackend

    Event.EVENT_MAP.setdefault(
        "DB_INSTANCE_STOPPED", {"Categories": ["notification"], "Message": STOPPED_EVENT}
    )

    def make(original: Any) -> Any:
        def stop_db_instance(self: Any, *args: Any, **kwargs: Any) -> Any:
            database = original(self, *args, **kwargs)
            database.add_event("DB_INSTANCE_STOPPED")
            return database

        return stop_db_instance

    patch(RDSBackend, "stop_db_instance", make)
