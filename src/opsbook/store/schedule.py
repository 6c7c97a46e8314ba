"""The schedule's record (`opsbook serve --schedule`, docs/schedule.md): one row per cadence and slot that
started, or was skipped because the cadence's previous run was still going.

The (cadence, slot) pair is unique: claiming a slot is an insert, so a slot starts once even when two
schedulers share the store, and a restarted scheduler knows which slots already ran (misfire handling
reads the newest slot per cadence). States: running -> done | failed | interrupted; or skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text, UniqueConstraint, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.db import Store, aware, store_errors
from opsbook.store.models import SCOPE_WIDTH, Base

STATES = ("running", "done", "failed", "interrupted", "skipped")


class ScheduleFireRow(Base):
    __tablename__ = "schedule_fires"
    __table_args__ = (UniqueConstraint("cadence", "slot_at", name="uq_schedule_fires_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cadence: Mapped[str] = mapped_column(String(40), index=True)
    scope: Mapped[str] = mapped_column(String(SCOPE_WIDTH))
    slot_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    catch_up: Mapped[bool] = mapped_column(Boolean)  # started late, on start-up, for a missed slot
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Fire:
    id: int
    cadence: str
    scope: str
    slot_at: datetime
    catch_up: bool
    started_at: datetime
    finished_at: datetime | None
    state: str
    run_id: str | None
    exit_code: int | None
    note: str

    def as_dict(self) -> dict[str, object]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in vars(self).items()}


def _fire(r: ScheduleFireRow) -> Fire:
    return Fire(r.id, r.cadence, r.scope, aware(r.slot_at), r.catch_up, aware(r.started_at),
                aware(r.finished_at) if r.finished_at else None, r.state, r.run_id, r.exit_code,
                r.note)  # fmt: skip


def claim(
    store: Store,
    *,
    cadence: str,
    scope: str,
    slot_at: datetime,
    at: datetime,
    state: str = "running",
    catch_up: bool = False,
    note: str = "",
) -> Fire | None:
    """Record the slot as started (or skipped); None when it was already recorded (it is not started again)."""
    assert state in ("running", "skipped")
    done = at if state == "skipped" else None
    with store_errors("claiming a schedule slot"), store.session() as s:
        try:
            with s.begin():
                row = ScheduleFireRow(cadence=cadence, scope=scope, slot_at=slot_at, catch_up=catch_up,
                                      started_at=at, finished_at=done, state=state, note=note)  # fmt: skip
                s.add(row)
                s.flush()
                return _fire(row)
        except IntegrityError:  # the slot is someone's already
            return None


def finish(
    store: Store,
    *,
    fire_id: int,
    state: str,
    at: datetime,
    run_id: str | None,
    exit_code: int | None,
    note: str,
) -> None:
    assert state in ("done", "failed", "interrupted")
    with store_errors("recording a scheduled run's end"), store.session() as s, s.begin():
        s.execute(update(ScheduleFireRow).where(ScheduleFireRow.id == fire_id).values(
            state=state, finished_at=at, run_id=run_id, exit_code=exit_code, note=note[:1000]))  # fmt: skip


def interrupt_running(store: Store, *, at: datetime) -> int:
    """Slots a stopped scheduler left running are interrupted (their process is gone); how many."""
    with store_errors("closing interrupted schedule slots"), store.session() as s, s.begin():
        done = s.execute(
            update(ScheduleFireRow)
            .where(ScheduleFireRow.state == "running")
            .values(state="interrupted", finished_at=at, note="the scheduler stopped while it ran")
        )
        return int(done.rowcount)  # type: ignore[attr-defined]


def latest(store: Store, *, started_only: bool = False) -> dict[str, Fire]:
    """Per cadence, its newest slot's record (`started_only`: the newest that started a run, not skipped)."""
    with store_errors("reading the schedule's record"), store.session() as s:
        newest_q = select(ScheduleFireRow.cadence, func.max(ScheduleFireRow.slot_at).label("slot_at"))
        if started_only:
            newest_q = newest_q.where(ScheduleFireRow.state != "skipped")
        newest = newest_q.group_by(ScheduleFireRow.cadence).subquery()
        rows = s.scalars(
            select(ScheduleFireRow).join(
                newest,
                (ScheduleFireRow.cadence == newest.c.cadence) & (ScheduleFireRow.slot_at == newest.c.slot_at),
            )
        ).all()
        return {r.cadence: _fire(r) for r in rows}


def recent(store: Store, *, cadence: str | None = None, limit: int = 50) -> list[Fire]:
    """The newest records first."""
    with store_errors("reading the schedule's record"), store.session() as s:
        query = select(ScheduleFireRow).order_by(ScheduleFireRow.started_at.desc(), ScheduleFireRow.id.desc())
        if cadence:
            query = query.where(ScheduleFireRow.cadence == cadence)
        return [_fire(r) for r in s.scalars(query.limit(limit)).all()]
