"""Restore drills (`opsbook drill restore`): one row per backup a drill restored and compared, with the
measured time to restore; the weekly check `velero.restore_drill` reads them (collect/k8s/drills.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.db import Store, aware
from opsbook.store.models import Base


class DrillRow(Base):
    __tablename__ = "restore_drills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    drill_id: Mapped[str] = mapped_column(String(40), index=True)
    cluster: Mapped[str] = mapped_column(String(200), index=True)
    backup: Mapped[str] = mapped_column(String(253))
    schedule: Mapped[str | None] = mapped_column(String(253), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    restore_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    items: Mapped[int] = mapped_column(Integer)
    differences: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass(frozen=True)
class DrillRecord:
    """One backup's part of a drill: `ok` when it restored Completed and came back without differences."""

    drill_id: str
    cluster: str
    backup: str
    schedule: str | None
    started_at: datetime
    finished_at: datetime
    ok: bool
    restore_seconds: float | None
    items: int
    differences: int
    problem: str | None = None


def record_drill(store: Store, *, records: list[DrillRecord]) -> None:
    """Write one drill's records in one transaction."""
    with store.session() as s, s.begin():
        s.add_all(DrillRow(**vars(r)) for r in records)


def drills_of(store: Store, *, cluster: str, limit: int = 200) -> list[DrillRecord]:
    """The cluster's newest drill records first."""
    with store.session() as s:
        rows = s.scalars(
            select(DrillRow)
            .where(DrillRow.cluster == cluster)
            .order_by(DrillRow.started_at.desc())
            .limit(limit)
        ).all()
        return [
            DrillRecord(
                r.drill_id,
                r.cluster,
                r.backup,
                r.schedule,
                aware(r.started_at),
                aware(r.finished_at),
                r.ok,
                r.restore_seconds,
                r.items,
                r.differences,
                r.problem,
            )  # fmt: skip
            for r in rows
        ]
