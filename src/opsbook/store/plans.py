"""Plans, the apply journal and the audit trail: models and keyword-only service functions.

The journal has one row per (plan hash, item): written `started` before an action and `done` after, so a
killed apply can tell what it may have done. The audit keeps every action, skip and refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from opsbook.store.db import Store, iso, jsonable
from opsbook.store.models import Base


class PlanRow(Base):
    __tablename__ = "plans"

    hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    procedure: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    items: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JournalRow(Base):
    __tablename__ = "plan_journal"
    __table_args__ = (UniqueConstraint("plan_hash", "item_id", name="uq_plan_journal_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_hash: Mapped[str] = mapped_column(String(80), index=True)
    item_id: Mapped[str] = mapped_column(String(40))
    resource: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(20))  # started | waiting | done | failed | abandoned | undone
    apply_id: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditRow(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    who: Mapped[str] = mapped_column(String(120))
    host: Mapped[str] = mapped_column(String(200))
    procedure: Mapped[str] = mapped_column(String(60))
    plan_hash: Mapped[str] = mapped_column(String(80), index=True)
    apply_id: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    account: Mapped[str | None] = mapped_column(String(120), nullable=True)
    region: Mapped[str | None] = mapped_column(String(40), nullable=True)
    resource: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(60))
    result: Mapped[str] = mapped_column(String(20))  # done | skipped | refused | failed | resumed
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    incident: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)  # `incident act`


@dataclass(frozen=True)
class JournalEntry:
    item_id: str
    state: str
    apply_id: str
    detail: dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC)


def record_plan(
    store: Store,
    *,
    plan_hash: str,
    procedure: str,
    created_at: datetime,
    expires_at: datetime,
    created_by: str,
    content: dict[str, Any],
) -> None:
    """Remember a plan (once per hash): what was proposed, by whom, until when."""
    try:
        with store.session() as s, s.begin():
            if s.get(PlanRow, plan_hash) is not None:
                return
            s.add(
                PlanRow(
                    hash=plan_hash,
                    procedure=procedure,
                    created_at=created_at,
                    expires_at=expires_at,
                    created_by=created_by,
                    items=len(content.get("items", [])),
                    content=jsonable(content),
                    recorded_at=_now(),
                )
            )
    except IntegrityError:
        pass  # recorded meanwhile by another process (`cleanup plan` of the same plan): nothing to add


def journal(store: Store, *, plan_hash: str) -> dict[str, JournalEntry]:
    """item id -> its journal entry for one plan."""
    with store.session() as s:
        rows = s.scalars(select(JournalRow).where(JournalRow.plan_hash == plan_hash))
        return {r.item_id: JournalEntry(r.item_id, r.state, r.apply_id, dict(r.detail or {})) for r in rows}


def journal_start(
    store: Store, *, plan_hash: str, item_id: str, resource: str, action: str, apply_id: str
) -> None:
    """Committed before the action runs: a crash after this line leaves the item `started`."""
    with store.session() as s, s.begin():
        row = s.scalar(
            select(JournalRow).where(JournalRow.plan_hash == plan_hash, JournalRow.item_id == item_id)
        )
        if row is None:
            s.add(
                JournalRow(
                    plan_hash=plan_hash,
                    item_id=item_id,
                    resource=resource,
                    action=action,
                    state="started",
                    apply_id=apply_id,
                    started_at=_now(),
                    detail={},
                )
            )
        elif row.state == "done":
            raise RuntimeError(f"journal: item {item_id} of {plan_hash} is already done")
        else:
            row.state, row.apply_id, row.started_at, row.finished_at = "started", apply_id, _now(), None


def journal_finish(
    store: Store, *, plan_hash: str, item_id: str, state: str, detail: dict[str, Any] | None = None
) -> None:
    with store.session() as s, s.begin():
        s.execute(
            update(JournalRow)
            .where(JournalRow.plan_hash == plan_hash, JournalRow.item_id == item_id)
            .values(state=state, finished_at=_now(), detail=jsonable(detail or {}))
        )


def audit(
    store: Store,
    *,
    who: str,
    host: str,
    procedure: str,
    plan_hash: str,
    apply_id: str,
    resource: str,
    action: str,
    result: str,
    reason: str = "",
    item_id: str | None = None,
    account: str | None = None,
    region: str | None = None,
    details: dict[str, Any] | None = None,
    incident: str | None = None,
) -> None:
    with store.session() as s, s.begin():
        s.add(
            AuditRow(
                at=_now(),
                who=who,
                host=host,
                procedure=procedure,
                plan_hash=plan_hash,
                apply_id=apply_id,
                item_id=item_id,
                account=account,
                region=region,
                resource=resource,
                action=action,
                result=result,
                reason=reason,
                details=jsonable(details or {}),
                incident=incident,
            )
        )


def list_audit(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    plan_hash: str | None = None,
    incident: str | None = None,
    who: str | None = None,
    result: str | None = None,
    procedure: str | None = None,
    hash_prefix: bool = False,
    newest_first: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Audit rows matching every given filter (`plan_hash` by prefix with `hash_prefix`), oldest first
    unless `newest_first`."""
    with store.session() as s:
        order = (AuditRow.at.desc(), AuditRow.id.desc()) if newest_first else (AuditRow.at, AuditRow.id)
        q = select(AuditRow).order_by(*order)
        if since is not None:
            q = q.where(AuditRow.at >= since)
        if until is not None:
            q = q.where(AuditRow.at <= until)
        for column, value in ((AuditRow.incident, incident), (AuditRow.who, who),
                              (AuditRow.result, result), (AuditRow.procedure, procedure)):  # fmt: skip
            if value:
                q = q.where(column == value)
        if plan_hash:
            q = q.where(
                AuditRow.plan_hash.startswith(plan_hash, autoescape=True)
                if hash_prefix
                else AuditRow.plan_hash == plan_hash
            )
        return [audit_dict(r) for r in s.scalars(q.limit(limit))]


def audit_dict(r: AuditRow) -> dict[str, Any]:
    return {
        "at": iso(r.at),
        "who": r.who,
        "host": r.host,
        "procedure": r.procedure,
        "plan_hash": r.plan_hash,
        "apply_id": r.apply_id,
        "item_id": r.item_id,
        "account": r.account,
        "region": r.region,
        "resource": r.resource,
        "action": r.action,
        "result": r.result,
        "reason": r.reason,
        "details": r.details,
        "incident": r.incident,
    }


def plan_contents(store: Store, *, plan_hashes: set[str]) -> dict[str, dict[str, Any]]:
    """plan hash -> the recorded plan (its items: where each step acts) for the hashes that were recorded."""
    if not plan_hashes:
        return {}
    with store.session() as s:
        rows = s.execute(select(PlanRow.hash, PlanRow.content).where(PlanRow.hash.in_(sorted(plan_hashes))))
        return {h: dict(c or {}) for h, c in rows}
