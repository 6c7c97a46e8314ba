"""Read functions the web app's pages need beyond runs.py and plans.py: a run's findings filtered in SQL, a
finding's history across runs, fail counts per run of a scope (the trend), and plans with their state.

A plan's state comes from the audit trail: `pending` (nothing applied yet, not expired), `expired`, `applied`
(some step done), `refused` (the whole plan refused, nothing done) or `failed`/`rolled-back` as the apply
left it; `applying` while a journal entry is `started` or `waiting`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from opsbook.core.errors import NotFound
from opsbook.core.models import Status
from opsbook.store.db import Store, aware, iso
from opsbook.store.models import FindingRow, RunRow
from opsbook.store.plans import AuditRow, JournalRow, PlanRow, list_audit
from opsbook.store.runs import FINISHED, _finding_dict, get_run


def findings(
    store: Store,
    *,
    run_id: str,
    status: str | None = None,
    severity: str | None = None,
    check: str | None = None,
    target: str | None = None,
    check_ids: list[str] | None = None,
    uids: set[str] | None = None,
    limit: int = 5000,
) -> list[dict[str, Any]]:
    """The findings of one run narrowed by exact status/severity/target, a check id prefix, a set of check
    ids (a guide section's) and a set of uids (new-only), worst severity first."""
    with store.session() as s:
        q = select(FindingRow).where(FindingRow.run_id == run_id)
        if status:
            q = q.where(FindingRow.status == status)
        if severity:
            q = q.where(FindingRow.severity == severity)
        if check:
            q = q.where(FindingRow.check_id.startswith(check, autoescape=True))  # `_` is part of ids
        if target:
            q = q.where(FindingRow.target_key == target)
        if check_ids is not None:
            q = q.where(FindingRow.check_id.in_(check_ids))
        if uids is not None:
            q = q.where(FindingRow.uid.in_(sorted(uids)))
        rows = list(
            s.scalars(q.order_by(FindingRow.check_id, FindingRow.target_key, FindingRow.id).limit(limit))
        )
        return [_finding_dict(f) | {"target_key": f.target_key} for f in rows]


def finding_history(store: Store, *, uid: str, limit: int = 100) -> list[dict[str, Any]]:
    """One finding (by uid) in every run that reported it, newest first, with the run's scope and time."""
    with store.session() as s:
        rows = s.execute(
            select(FindingRow, RunRow.scope, RunRow.started_at)
            .join(RunRow, RunRow.id == FindingRow.run_id)
            .where(FindingRow.uid == uid)
            .order_by(RunRow.started_at.desc(), RunRow.id.desc())
            .limit(limit)
        ).all()
        return [
            _finding_dict(f)
            | {"run_id": f.run_id, "scope": scope, "started_at": iso(at), "target_key": f.target_key}
            for f, scope, at in rows
        ]


def fail_trend(store: Store, *, scope: str, limit: int = 20) -> list[tuple[str, int]]:
    """(run id, FAIL findings) of the last finished runs of `scope`, oldest first."""
    with store.session() as s:
        fails = (
            select(func.count(FindingRow.id))
            .where(FindingRow.run_id == RunRow.id, FindingRow.status == Status.FAIL.value)
            .scalar_subquery()
        )
        rows = s.execute(
            select(RunRow.id, fails)
            .where(RunRow.scope == scope, RunRow.status.in_(FINISHED))
            .order_by(RunRow.started_at.desc(), RunRow.id.desc())
            .limit(limit)
        ).all()
    return [(run_id, int(n)) for run_id, n in reversed(rows)]


def targets_of(store: Store, *, run_id: str) -> list[str]:
    """The target keys a run has findings for (a filter's choices)."""
    with store.session() as s:
        q = select(FindingRow.target_key).where(FindingRow.run_id == run_id).distinct()
        return sorted(s.scalars(q))


PLAN_STATES = ("pending", "applying", "applied", "refused", "failed", "rolled-back", "expired")  # of _state


def _state(audit_rows: list[AuditRow], journal_states: list[str], expires_at: datetime) -> str:
    if any(st in ("started", "waiting") for st in journal_states):
        return "applying"
    results = {r.result for r in audit_rows}
    if "undone" in results:
        return "rolled-back"
    if results & {"failed", "gate-red"}:
        return "failed"
    if results & {"done", "resumed", "already-done"} or "done" in journal_states:
        return "applied"
    if any(
        r.result == "refused" and r.item_id is None and "not approved" not in r.reason for r in audit_rows
    ):
        return "refused"  # refused as a whole (altered, expired, too large...); "not approved" still waits
    if any(r.result in ("skipped", "refused") and r.item_id is not None for r in audit_rows):
        return "applied"  # applied, nothing left to change (every item skipped or refused)
    return "expired" if aware(expires_at) < datetime.now(UTC) else "pending"


def list_plans(store: Store, *, limit: int = 200) -> list[dict[str, Any]]:
    """Recorded plans, newest first, with their state (module docstring)."""
    with store.session() as s:
        plans = list(s.scalars(select(PlanRow).order_by(PlanRow.created_at.desc()).limit(limit)))
        hashes = [p.hash for p in plans]
        audit: dict[str, list[AuditRow]] = {}
        for a in s.scalars(select(AuditRow).where(AuditRow.plan_hash.in_(hashes))):
            audit.setdefault(a.plan_hash, []).append(a)
        journal = s.execute(
            select(JournalRow.plan_hash, JournalRow.state).where(JournalRow.plan_hash.in_(hashes))
        )
        states: dict[str, list[str]] = {}
        for h, st in journal:
            states.setdefault(h, []).append(st)
        return [
            _plan_dict(p) | {"state": _state(audit.get(p.hash, []), states.get(p.hash, []), p.expires_at)}
            for p in plans
        ]


def get_plan(store: Store, *, plan_hash: str) -> dict[str, Any]:
    """One plan: its recorded content, state and journal entries. NotFound when it was never recorded."""
    with store.session() as s:
        p = s.get(PlanRow, plan_hash)
        if p is None:
            raise NotFound(f"no plan {plan_hash!r} in the store")
        audit = list(s.scalars(select(AuditRow).where(AuditRow.plan_hash == plan_hash)))
        rows = list(
            s.scalars(
                select(JournalRow).where(JournalRow.plan_hash == plan_hash).order_by(JournalRow.item_id)
            )
        )
        journal = [
            {
                "item_id": j.item_id,
                "resource": j.resource,
                "action": j.action,
                "state": j.state,
                "apply_id": j.apply_id,
                "started_at": iso(j.started_at),
                "finished_at": iso(j.finished_at) if j.finished_at else None,
            }
            for j in rows
        ]
        state = _state(audit, [j.state for j in rows], p.expires_at)
        return _plan_dict(p) | {"state": state, "content": dict(p.content or {}), "journal": journal}


def _plan_dict(p: PlanRow) -> dict[str, Any]:
    return {
        "plan_hash": p.hash,
        "procedure": p.procedure,
        "created_at": iso(p.created_at),
        "expires_at": iso(p.expires_at),
        "created_by": p.created_by,
        "items": p.items,
    }


def run_header(store: Store, *, run_id: str) -> dict[str, Any]:
    """A run without its findings (a unique id prefix is enough), with its targets' results."""
    return get_run(store, run_id=run_id, findings=False)


def audit_trail(
    store: Store,
    *,
    who: str | None = None,
    result: str | None = None,
    procedure: str | None = None,
    plan_hash: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Audit rows matching every given filter (plan hash by prefix), newest first: the web's audit page."""
    return list_audit(store, who=who, result=result, procedure=procedure, plan_hash=plan_hash, since=since,
                      until=until, hash_prefix=True, newest_first=True, limit=limit)  # fmt: skip
