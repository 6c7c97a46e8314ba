"""Maintenance windows (`opsbook maintenance ...`, guide: Maintenance Windows): when, what (target keys),
who to tell, and what was sent. Status: scheduled -> active -> done, or cancelled; the engine moves it with
the clock (`engine/maintenance.py`). Sending is claimed with a compare-and-swap on `*_sent_at`, so two runs
at once send a reminder once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.core.errors import NotFound
from opsbook.store.db import Store, aware
from opsbook.store.models import Base

STATUSES = ("scheduled", "active", "done", "cancelled")


class WindowRow(Base):
    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)  # "cluster=C", "account=A" ...
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)  # notification channel names
    remind_before_s: Mapped[int] = mapped_column(Integer, default=3600)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), index=True)
    notice_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class Window:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    targets: tuple[str, ...]
    channels: tuple[str, ...]
    remind_before_s: int
    created_by: str
    created_at: datetime
    status: str
    notice_sent_at: datetime | None
    reminder_sent_at: datetime | None
    done_sent_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        out = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in vars(self).items()}
        return out | {"targets": list(self.targets), "channels": list(self.channels)}


def _window(r: WindowRow) -> Window:
    def when(d: datetime | None) -> datetime | None:
        return aware(d) if d is not None else None

    return Window(r.id, r.title, aware(r.starts_at), aware(r.ends_at), tuple(r.targets or ()),
                  tuple(r.channels or ()), r.remind_before_s, r.created_by, aware(r.created_at), r.status,
                  when(r.notice_sent_at), when(r.reminder_sent_at), when(r.done_sent_at))  # fmt: skip


def create_window(
    store: Store,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    targets: list[str],
    channels: list[str],
    remind_before_s: int,
    created_by: str,
    created_at: datetime,
) -> Window:
    with store.session() as s, s.begin():
        row = WindowRow(title=title, starts_at=starts_at, ends_at=ends_at, targets=targets, channels=channels,
                        remind_before_s=remind_before_s, created_by=created_by, created_at=created_at,
                        status="scheduled")  # fmt: skip
        s.add(row)
        s.flush()
        return _window(row)


def get_window(store: Store, *, window_id: int) -> Window:
    with store.session() as s:
        row = s.get(WindowRow, window_id)
        if row is None:
            raise NotFound(f"no maintenance window {window_id} (see `opsbook maintenance list`)")
        return _window(row)


def windows(store: Store, *, statuses: tuple[str, ...] = STATUSES, limit: int = 500) -> list[Window]:
    """Windows in these statuses, soonest first."""
    with store.session() as s:
        rows = s.scalars(
            select(WindowRow).where(WindowRow.status.in_(statuses)).order_by(WindowRow.starts_at).limit(limit)
        ).all()
        return [_window(r) for r in rows]


def set_status(store: Store, *, window_id: int, status: str, only_from: tuple[str, ...] = STATUSES) -> bool:
    """Move a window to `status` when it is in one of `only_from`; False when it was not."""
    assert status in STATUSES
    with store.session() as s, s.begin():
        done = s.execute(
            update(WindowRow)
            .where(WindowRow.id == window_id, WindowRow.status.in_(only_from))
            .values(status=status)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]


def claim_send(store: Store, *, window_id: int, what: str, at: datetime | None) -> bool:
    """Mark the notice, reminder or done notice (`what`) sent at `at` unless it was already: True for the one caller that
    marked it (and so sends it). `at=None` releases the mark (a rolled-back maintenance is not done)."""
    column = {"notice": WindowRow.notice_sent_at, "reminder": WindowRow.reminder_sent_at,
              "done": WindowRow.done_sent_at}[what]  # fmt: skip
    unset = column.is_(None) if at is not None else column.is_not(None)
    with store.session() as s, s.begin():
        done = s.execute(update(WindowRow).where(WindowRow.id == window_id, unset).values({column.key: at}))
        return bool(done.rowcount)  # type: ignore[attr-defined]
