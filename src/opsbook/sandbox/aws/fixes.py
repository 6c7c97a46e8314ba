"""Where moto does what AWS does not, made to behave like AWS (applied once when the sandbox starts)."""

from __future__ import annotations

from typing import Any


def apply() -> None:
    no_automated_backups_without_retention()


def no_automated_backups_without_retention() -> None:
    """moto takes an automated snapshot of every new DB instance; AWS takes none while the instance's
    BackupRetentionPeriod is 0 (automated backups off), so `rds.snapshot_missing` sees it unprotected."""
    from moto.rds.models import DBInstance

    original: Any = DBInstance.save_automated_backup
    if getattr(original, "opsbook_fix", False):
        return

    def save_automated_backup(self: Any) -> None:
        if self.backup_retention_period:
            original(self)

    save_automated_backup.opsbook_fix = True  # type: ignore[attr-defined]
    DBInstance.save_automated_backup = save_automated_backup  # type: ignore[method-assign]
