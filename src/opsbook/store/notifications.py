"""The notifications log: one row per event a channel was sent (or not sent again: deduplicated), which is
also the de-duplication state. Rows hold the event's title and targets, never a URL or a secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, and_, select
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.db import Store, aware
from opsbook.store.models import Base


class NotificationRow(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resolves: Mapped[bool] = mapped_column(Boolean)  # the event closed its dedupe key
    channel: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(10))
    ok: Mapped[bool] = mapped_column(Boolean)
    deduplicated: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    title: Mapped[str] = mapped_column(Text)
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)


@dataclass(frozen=True)
class SentNotification:
    kind: str
    ref: str | None
    dedupe_key: str | None
    resolves: bool
    channel: str
    severity: str
    ok: bool
    deduplicated: bool
    error: str | None
    sent_at: datetime
    title: str
    targets: tuple[str, ...]


def record(store: Store, entry: SentNotification) -> None:
    with store.session() as s, s.begin():
        fields = {**vars(entry), "targets": list(entry.targets)}
        s.add(NotificationRow(**fields))


def is_open(store: Store, *, dedupe_key: str, channel: str, resolves: bool, group: str | None = None) -> bool:
    """True when the last delivered event of `dedupe_key` on `channel` was of the same sort: an open
    (problem) event when `resolves` is False, a resolving one when it is True; so neither repeats.
    With `group` (a key prefix ending in ':'; its keys add one part without ':'), the last delivered event
    of any key in the group must be this key's: a key that a newer one of its group replaced is no longer
    open."""
    same = NotificationRow.dedupe_key == dedupe_key
    if group:
        prefix = group.replace("/", "//").replace("%", "/%").replace("_", "/_")
        same = and_(
            NotificationRow.dedupe_key.like(f"{prefix}%", escape="/"),
            NotificationRow.dedupe_key.not_like(f"{prefix}%:%", escape="/"),
        )
    with store.session() as s:
        last = s.scalars(
            select(NotificationRow)
            .where(same, NotificationRow.channel == channel, NotificationRow.ok.is_(True))
            .order_by(NotificationRow.sent_at.desc(), NotificationRow.id.desc())
            .limit(1)
        ).first()
    return last is not None and last.dedupe_key == dedupe_key and last.resolves == resolves


def sent_between(store: Store, start: datetime, end: datetime) -> list[SentNotification]:
    """Every notification logged in [start, end), oldest first (the incident timeline reads these)."""
    with store.session() as s:
        rows = s.scalars(
            select(NotificationRow)
            .where(NotificationRow.sent_at >= start, NotificationRow.sent_at < end)
            .order_by(NotificationRow.sent_at, NotificationRow.id)
        ).all()
    return [_entry(r) for r in rows]


def recent(store: Store, *, since: datetime | None = None, limit: int = 200) -> list[SentNotification]:
    """The newest notifications first (`opsbook notify log`)."""
    query = select(NotificationRow).order_by(NotificationRow.sent_at.desc(), NotificationRow.id.desc())
    if since is not None:
        query = query.where(NotificationRow.sent_at >= since)
    with store.session() as s:
        rows = s.scalars(query.limit(limit)).all()
    return [_entry(r) for r in rows]


def _entry(r: NotificationRow) -> SentNotification:
    return SentNotification(
        r.kind, r.ref, r.dedupe_key, r.resolves, r.channel, r.severity, r.ok, r.deduplicated, r.error,
        aware(r.sent_at), r.title, tuple(r.targets or ()),
    )  # fmt: skip
