"""Incidents (guide: Incident Response): the record, its 10-step checklist and its notes.

An incident is `INC-YYYYMMDD-NNN` (the day it was opened, UTC), has a severity SEV1..SEV4, a status
(open -> mitigated -> resolved), a commander and the targets it affects (target keys as runs store them,
`k8s:<cluster>`, `aws:<account>/<region>` with `*` for any part, and `service:<namespace>/<deployment>`).
Its timeline is not stored: engine/incident_timeline.py reads it from runs, findings and the audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.core.errors import InputError, NotFound
from opsbook.store.db import Store, aware
from opsbook.store.models import Base

CHECKLIST = (
    "Identify and assess the issue",
    "Notify stakeholders",
    "Create incident ticket",
    "Isolate affected components",
    "Collect logs and diagnostics",
    "Implement fix or workaround",
    "Verify resolution",
    "Document incident",
    "Conduct post-mortem",
    "Implement preventive measures",
)
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
STATUSES = ("open", "mitigated", "resolved")


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(400))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), index=True)
    commander: Mapped[str] = mapped_column(String(120))
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    detected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")


class IncidentStepRow(Base):
    __tablename__ = "incident_steps"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    done_by: Mapped[str] = mapped_column(String(120))
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class IncidentNoteRow(Base):
    __tablename__ = "incident_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    who: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # note | action | diagnose | step | status | notify
    text: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    done_by: str | None = None
    done_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Note:
    at: datetime
    who: str
    kind: str
    text: str


@dataclass(frozen=True)
class Incident:
    id: str
    title: str
    severity: str
    status: str
    commander: str
    targets: tuple[str, ...]
    opened_at: datetime
    detected_at: datetime | None
    resolved_at: datetime | None
    summary: str = ""
    steps: tuple[Step, ...] = ()
    notes: tuple[Note, ...] = field(default=())

    @property
    def started_at(self) -> datetime:
        """When the impact began: `detected_at` when given, else when the incident was opened."""
        return self.detected_at or self.opened_at

    def as_dict(self) -> dict[str, Any]:
        def t(d: datetime | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "id": self.id, "title": self.title, "severity": self.severity, "status": self.status,
            "commander": self.commander, "targets": list(self.targets), "opened_at": t(self.opened_at),
            "detected_at": t(self.detected_at), "resolved_at": t(self.resolved_at), "summary": self.summary,
            "time_to_detect_minutes": minutes(self.detected_at, self.opened_at),
            "time_to_resolve_minutes": minutes(self.started_at, self.resolved_at),
            "steps": [
                {"number": s.number, "title": s.title, "done_by": s.done_by, "done_at": t(s.done_at),
                 "note": s.note}
                for s in self.steps
            ],
            "notes": [{"at": t(n.at), "who": n.who, "kind": n.kind, "text": n.text} for n in self.notes],
        }  # fmt: skip


def minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60.0, 1)


def _now() -> datetime:
    return datetime.now(UTC)


def create(
    store: Store,
    *,
    title: str,
    severity: str,
    commander: str,
    targets: list[str],
    opened_at: datetime | None = None,
    detected_at: datetime | None = None,
) -> str:
    """A new open incident; its id is the next free `INC-<day>-NNN`."""
    if severity not in SEVERITIES:
        raise InputError(f"--severity {severity!r}: expected one of {', '.join(SEVERITIES)}")
    at = opened_at or _now()
    if detected_at is not None and detected_at > at:
        raise InputError(f"--detected {detected_at.isoformat()}: after the incident was opened ({at:%H:%M}Z)")
    prefix = f"INC-{at:%Y%m%d}-"
    for _ in range(5):
        with store.session() as s:
            taken = s.scalars(select(IncidentRow.id).where(IncidentRow.id.like(prefix + "%"))).all()
        number = max((int(i[len(prefix) :]) for i in taken if i[len(prefix) :].isdigit()), default=0) + 1
        incident_id = f"{prefix}{number:03d}"
        try:
            with store.session() as s, s.begin():
                s.add(IncidentRow(id=incident_id, title=title, severity=severity, status="open",
                                  commander=commander, targets=list(targets), opened_at=at,
                                  detected_at=detected_at, summary=""))  # fmt: skip
            return incident_id
        except IntegrityError:
            continue  # opened meanwhile by someone else: take the next number
    raise InputError(f"could not allocate an incident id for {at:%Y-%m-%d}")  # pragma: no cover


def get(store: Store, *, incident_id: str) -> Incident:
    with store.session() as s:
        row = s.get(IncidentRow, incident_id)
        if row is None:
            raise NotFound(f"incident {incident_id!r} not found (see `opsbook incident list`)")
        steps = {
            r.number: r
            for r in s.scalars(select(IncidentStepRow).where(IncidentStepRow.incident_id == row.id))
        }
        notes = s.scalars(
            select(IncidentNoteRow)
            .where(IncidentNoteRow.incident_id == row.id)
            .order_by(IncidentNoteRow.at, IncidentNoteRow.id)
        ).all()
        return _incident(row, steps, [Note(aware(n.at), n.who, n.kind, n.text) for n in notes])


def _incident(row: IncidentRow, steps: dict[int, IncidentStepRow], notes: list[Note]) -> Incident:
    checklist = tuple(
        Step(n, title, steps[n].done_by, aware(steps[n].done_at), steps[n].note)
        if n in steps
        else Step(n, title)
        for n, title in enumerate(CHECKLIST, start=1)
    )
    return Incident(
        id=row.id, title=row.title, severity=row.severity, status=row.status, commander=row.commander,
        targets=tuple(row.targets or ()), opened_at=aware(row.opened_at),
        detected_at=aware(row.detected_at) if row.detected_at else None,
        resolved_at=aware(row.resolved_at) if row.resolved_at else None,
        summary=row.summary or "", steps=checklist, notes=tuple(notes),
    )  # fmt: skip


def list_incidents(
    store: Store, *, status: str | None = None, start: datetime | None = None, end: datetime | None = None
) -> list[Incident]:
    """Incidents opened in [start, end) (any time when not given), oldest first, without notes."""
    with store.session() as s:
        q = select(IncidentRow).order_by(IncidentRow.opened_at, IncidentRow.id)
        if status:
            q = q.where(IncidentRow.status == status)
        if start is not None:
            q = q.where(IncidentRow.opened_at >= start)
        if end is not None:
            q = q.where(IncidentRow.opened_at < end)
        rows = list(s.scalars(q))
        done = list(
            s.scalars(select(IncidentStepRow).where(IncidentStepRow.incident_id.in_([r.id for r in rows])))
        )
    by_id: dict[str, dict[int, IncidentStepRow]] = {}
    for st in done:
        by_id.setdefault(st.incident_id, {})[st.number] = st
    return [_incident(r, by_id.get(r.id, {}), []) for r in rows]


def set_step(
    store: Store,
    *,
    incident_id: str,
    number: int,
    done: bool,
    who: str,
    note: str = "",
    at: datetime | None = None,
) -> bool:
    """Tick (or untick) checklist step `number`; False when it already was in that state."""
    if not 1 <= number <= len(CHECKLIST):
        raise InputError(f"step {number}: the checklist has steps 1..{len(CHECKLIST)}")
    get(store, incident_id=incident_id)
    with store.session() as s, s.begin():
        row = s.get(IncidentStepRow, (incident_id, number))
        if done == (row is not None):
            return False
        if done:
            s.add(IncidentStepRow(incident_id=incident_id, number=number, done_by=who,
                                  done_at=at or _now(), note=note))  # fmt: skip
        else:
            s.delete(row)
    return True


def add_note(store: Store, *, incident_id: str, who: str, text: str, kind: str = "note",
             at: datetime | None = None) -> None:  # fmt: skip
    get(store, incident_id=incident_id)
    with store.session() as s, s.begin():
        s.add(IncidentNoteRow(incident_id=incident_id, at=at or _now(), who=who, kind=kind, text=text))


def update(store: Store, *, incident_id: str, **changes: Any) -> dict[str, tuple[Any, Any]]:
    """Change fields (severity, commander, status, title, summary, resolved_at); returns name -> (old, new)
    for what actually changed."""
    if "severity" in changes and changes["severity"] not in SEVERITIES:
        raise InputError(f"--severity {changes['severity']!r}: expected one of {', '.join(SEVERITIES)}")
    if "status" in changes and changes["status"] not in STATUSES:
        raise InputError(f"--status {changes['status']!r}: expected one of {', '.join(STATUSES)}")
    changed: dict[str, tuple[Any, Any]] = {}
    with store.session() as s, s.begin():
        row = s.get(IncidentRow, incident_id)
        if row is None:
            raise NotFound(f"incident {incident_id!r} not found (see `opsbook incident list`)")
        for name, value in changes.items():
            old = getattr(row, name)
            if old != value:
                changed[name] = (old, value)
                setattr(row, name, value)
    return changed
