"""Keyword-only service functions over runs and findings (the engine, CLI and web app all use these)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from opsbook.core.errors import NotFound
from opsbook.core.models import Finding, Status, Target
from opsbook.store.db import Store, iso, jsonable
from opsbook.store.models import FindingRow, RunRow, TargetResultRow

FINISHED = ("complete", "interrupted")  # a run's status once it ended ("running" until then)


def begin_run(
    store: Store, *, run_id: str, scope: str, started_at: datetime, targets: Sequence[Target]
) -> None:
    with store.session() as s, s.begin():
        s.add(
            RunRow(
                id=run_id,
                scope=scope,
                status="running",
                started_at=started_at,
                targets=[t.key for t in targets],
                api_calls={},
            )
        )


def record_target(
    store: Store,
    *,
    run_id: str,
    target: Target,
    findings: Sequence[Finding],
    error: str | None,
    seconds: float,
) -> None:
    """Write one target's findings in one transaction (replacing any earlier write for it)."""
    with store.session() as s, s.begin():
        # Core statements on the session's connection: the ORM's bulk delete evaluates its criteria against
        # the session and its bulk insert keeps per-row bookkeeping, CPU the run's main thread spent under
        # the GIL its target threads need, for rows that are never in the session.
        conn = s.connection()
        conn.execute(
            delete(FindingRow).where(FindingRow.run_id == run_id, FindingRow.target_key == target.key)
        )
        # a retried write (a Temporal activity re-run after its worker died) replaces, never doubles
        conn.execute(
            delete(TargetResultRow).where(
                TargetResultRow.run_id == run_id, TargetResultRow.target == target.key
            )
        )
        s.add(
            TargetResultRow(
                run_id=run_id, target=target.key, error=error, seconds=seconds, finished_at=datetime.now(UTC)
            )
        )
        target_json = target.model_dump(mode="json")  # every finding of the call belongs to `target`
        target_key = target.key
        rows = [
            {
                "run_id": run_id,
                "uid": f.uid,
                "check_id": f.check_id,
                "status": f.status.value,
                "severity": f.severity.value,
                "target": target_json,
                "target_key": target_key,
                "resource": f.resource.model_dump(mode="json") if f.resource else None,
                "message": f.message,
                "details": jsonable(f.details),
                "remediation": f.remediation,
            }
            for f in findings
        ]
        if rows:  # one executemany (Core insert), not one ORM object per finding: thousands per target
            conn.execute(insert(FindingRow), rows)


def finish_run(
    store: Store,
    *,
    run_id: str,
    status: str,
    finished_at: datetime,
    api_calls: dict[str, Any],
    api_faults: dict[str, Any] | None = None,
) -> None:
    """`api_faults`: {"throttles": ..., "errors": ...}, each shaped as `api_calls` (only non-zero counts)."""
    with store.session() as s, s.begin():
        s.execute(
            update(RunRow)
            .where(RunRow.id == run_id)
            .values(status=status, finished_at=finished_at, api_calls=api_calls, api_faults=api_faults)
        )


def mark_stale_runs_interrupted(store: Store, *, older_than: datetime) -> int:
    """Runs left `running` by a crashed process become `interrupted`."""
    with store.session() as s, s.begin():
        res = s.execute(
            update(RunRow)
            .where(RunRow.status == "running", RunRow.started_at < older_than)
            .values(status="interrupted")
        )
        return int(getattr(res, "rowcount", 0) or 0)


def list_runs(store: Store, *, limit: int = 20, scope: str | None = None) -> list[dict[str, Any]]:
    """The newest runs (of `scope`), each with its findings counted by status (one grouped query)."""
    with store.session() as s:
        q = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(limit)
        if scope:
            q = q.where(RunRow.scope == scope)
        runs = list(s.scalars(q))
        counts: dict[str, dict[str, int]] = {r.id: {} for r in runs}
        rows = s.execute(
            select(FindingRow.run_id, FindingRow.status, func.count())
            .where(FindingRow.run_id.in_(list(counts)))
            .group_by(FindingRow.run_id, FindingRow.status)
        )
        for run_id, status, n in rows:
            counts[run_id][status] = int(n)
        return [_run_dict(r) | {"counts": counts[r.id]} for r in runs]


def get_run(store: Store, *, run_id: str, findings: bool = True) -> dict[str, Any]:
    """A run (a unique id prefix is enough) with its targets' results and, unless `findings=False`, its
    findings."""
    with store.session() as s:
        r = find_run(s, run_id)
        out = _run_dict(r) | {"target_results": target_results(s, r.id)}
        if findings:
            rows = s.scalars(select(FindingRow).where(FindingRow.run_id == r.id))
            out["findings"] = [_finding_dict(f) for f in rows]
        return out


def target_results(s: Session, run_id: str) -> list[dict[str, Any]]:
    return [
        {"target": t.target, "error": t.error, "seconds": t.seconds}
        for t in s.scalars(select(TargetResultRow).where(TargetResultRow.run_id == run_id))
    ]


def find_run(s: Session, run_id: str) -> RunRow:
    """The run with this id, or the one run whose id starts with it; NotFound otherwise."""
    r = s.get(RunRow, run_id)
    if r is None:
        matches = list(
            s.scalars(select(RunRow).where(RunRow.id.startswith(run_id, autoescape=True)).limit(2))
        )
        if len(matches) != 1:
            raise NotFound(f"no run {run_id!r} (see `opsbook history`)")
        r = matches[0]
    return r


def previous_run_id(store: Store, *, scope: str, before: str) -> str | None:
    with store.session() as s:
        current = s.get(RunRow, before)
        if current is None:
            return None
        q = (
            select(RunRow.id)
            .where(RunRow.scope == scope, RunRow.id != before, RunRow.started_at <= current.started_at)
            .where(RunRow.status.in_(FINISHED))
            .order_by(RunRow.started_at.desc(), RunRow.id.desc())
            .limit(1)
        )
        return s.scalar(q)


def failing_trend(
    store: Store, *, scope: str, until: str, limit: int
) -> tuple[list[str], dict[str, list[int | None]]]:
    """The ids of the last `limit` finished runs of `scope` up to run `until` (oldest first) and, per check,
    its failing findings in each of them (None where the check did not run)."""
    with store.session() as s:
        current = s.get(RunRow, until)
        if current is None:
            return [], {}
        q = (
            select(RunRow.id)
            .where(RunRow.scope == scope, RunRow.started_at <= current.started_at)
            .where(RunRow.status.in_(FINISHED))
            .order_by(RunRow.started_at.desc(), RunRow.id.desc())
            .limit(limit)
        )
        run_ids = list(s.scalars(q))[::-1]
        fails = func.sum(case((FindingRow.status == Status.FAIL.value, 1), else_=0))
        rows = s.execute(
            select(FindingRow.check_id, FindingRow.run_id, fails)
            .where(FindingRow.run_id.in_(run_ids))
            .group_by(FindingRow.check_id, FindingRow.run_id)
        )
        at = {run_id: i for i, run_id in enumerate(run_ids)}
        out: dict[str, list[int | None]] = {}
        for check_id, run_id, n in rows:
            out.setdefault(check_id, [None] * len(run_ids))[at[run_id]] = int(n or 0)
        return run_ids, out


def failing(store: Store, *, run_id: str) -> dict[str, tuple[str, str]]:
    """uid -> (check_id, target_key) of the FAIL findings of a run."""
    with store.session() as s:
        rows = s.execute(
            select(FindingRow.uid, FindingRow.check_id, FindingRow.target_key).where(
                FindingRow.run_id == run_id, FindingRow.status == Status.FAIL.value
            )
        )
        return {uid: (cid, tk) for uid, cid, tk in rows}


def _run_dict(r: RunRow) -> dict[str, Any]:
    return {
        "run_id": r.id,
        "scope": r.scope,
        "status": r.status,
        "started_at": iso(r.started_at),
        "finished_at": iso(r.finished_at) if r.finished_at else None,
        "targets": r.targets,
        "api_calls": r.api_calls,
    }


def _finding_dict(f: FindingRow) -> dict[str, Any]:
    return {
        "uid": f.uid,
        "check_id": f.check_id,
        "status": f.status,
        "severity": f.severity,
        "target": f.target,
        "resource": f.resource,
        "message": f.message,
        "details": f.details,
        "remediation": f.remediation,
    }


def runs_with_checks(store: Store, *, prefix: str, limit: int = 50) -> list[tuple[str, str]]:
    """(id, started_at) of the finished runs (newest first) holding findings of checks whose id starts with
    `prefix`."""
    with store.session() as s:
        q = (
            select(RunRow.id, RunRow.started_at)
            .where(RunRow.status.in_(FINISHED))
            .where(
                RunRow.id.in_(
                    select(FindingRow.run_id).where(FindingRow.check_id.startswith(prefix, autoescape=True))
                )
            )
            .order_by(RunRow.started_at.desc(), RunRow.id.desc())
            .limit(limit)
        )
        return [(run_id, iso(started)) for run_id, started in s.execute(q)]
