"""Plan locks: one row per plan being applied, so one apply per plan at a time on SQLite and PostgreSQL.

The row is keyed by the plan hash: of two INSERTs for the same plan the database lets exactly one commit
(primary key), on both backends. The holder refreshes `heartbeat_at` while it applies and deletes its row at
the end. Taking over a stale row is a compare-and-swap UPDATE on (plan hash, the old holder's apply id), so
of two processes taking over the same stale lock only one wins. What counts as stale is decided by the
caller (procedures/lock.py); this module only reads and writes rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.db import Store, aware
from opsbook.store.models import Base


class PlanLockRow(Base):
    __tablename__ = "plan_locks"

    plan_hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    apply_id: Mapped[str] = mapped_column(String(40))
    who: Mapped[str] = mapped_column(String(120))
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Holder:
    """Who holds (or wants) a plan's lock."""

    apply_id: str
    who: str
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime


def _columns(holder: Holder) -> dict[str, Any]:
    """The lock row's columns that say who holds it."""
    return {
        "apply_id": holder.apply_id,
        "who": holder.who,
        "host": holder.host,
        "pid": holder.pid,
        "acquired_at": holder.acquired_at,
        "heartbeat_at": holder.heartbeat_at,
    }


def insert(store: Store, *, plan_hash: str, holder: Holder) -> bool:
    """Take the free lock of `plan_hash`; False when a row is already there (nothing is changed then)."""
    try:
        with store.session() as s, s.begin():
            s.add(PlanLockRow(plan_hash=plan_hash, **_columns(holder)))
    except IntegrityError:
        return False
    return True


def current(store: Store, *, plan_hash: str) -> Holder | None:
    """The holder of `plan_hash`'s lock, or None when it is free."""
    with store.session() as s:
        row = s.get(PlanLockRow, plan_hash)
        if row is None:
            return None
        return Holder(
            row.apply_id, row.who, row.host, row.pid, aware(row.acquired_at), aware(row.heartbeat_at)
        )


def take_over(store: Store, *, plan_hash: str, old_apply_id: str, holder: Holder) -> bool:
    """Replace the holder `old_apply_id` by `holder`; False when someone else changed the row first."""
    with store.session() as s, s.begin():
        result = s.execute(
            update(PlanLockRow)
            .where(PlanLockRow.plan_hash == plan_hash, PlanLockRow.apply_id == old_apply_id)
            .values(**_columns(holder))
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def heartbeat(store: Store, *, plan_hash: str, apply_id: str, at: datetime) -> bool:
    """Refresh the holder's heartbeat; False when `apply_id` no longer holds the lock."""
    with store.session() as s, s.begin():
        result = s.execute(
            update(PlanLockRow)
            .where(PlanLockRow.plan_hash == plan_hash, PlanLockRow.apply_id == apply_id)
            .values(heartbeat_at=at)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release(store: Store, *, plan_hash: str, apply_id: str) -> None:
    """Drop the lock if `apply_id` still holds it (a holder that was taken over deletes nothing)."""
    with store.session() as s, s.begin():
        s.execute(
            delete(PlanLockRow).where(PlanLockRow.plan_hash == plan_hash, PlanLockRow.apply_id == apply_id)
        )
