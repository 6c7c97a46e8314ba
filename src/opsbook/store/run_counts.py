"""A run as counts (findings per check x target x status x severity, targets, API calls), and the last
successful run per scope: what the Prometheus metrics read (reports/metrics.py), from the store or a report.

A run is *successful* when it completed and read everything: no target failed and no check reported ERROR
(the runs that exit 0 or 1; failing findings are the estate's state, not the run's failure).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, select

from opsbook.core.models import Status
from opsbook.core.scope_label import covered
from opsbook.store.db import Store, aware
from opsbook.store.models import FindingRow, RunRow, TargetResultRow
from opsbook.store.runs import FINISHED

# (check id, target key, status, severity)
FindingKey = tuple[str, str, str, str]
# target key -> `service:Operation` -> count
PerTarget = dict[str, dict[str, int]]


@dataclass
class RunCounts:
    scope: str
    status: str  # complete | interrupted
    started_at: datetime
    finished_at: datetime | None
    findings: Counter[FindingKey] = field(default_factory=Counter)
    targets: dict[str, tuple[bool, float]] = field(default_factory=dict)  # key -> (failed, seconds)
    api_calls: PerTarget = field(default_factory=dict)
    api_throttles: PerTarget = field(default_factory=dict)
    api_errors: PerTarget = field(default_factory=dict)
    exit_code: int | None = None  # known for a run in hand, not kept in the store

    @property
    def succeeded(self) -> bool:
        return (
            self.status == "complete"
            and self.exit_code != 3  # a run in hand whose history could not be saved did not succeed either
            and not any(failed for failed, _ in self.targets.values())
            and not any(k[2] == Status.ERROR.value for k, n in self.findings.items() if n)
        )


def latest_runs(store: Store) -> list[RunCounts]:
    """The newest finished run of every scope, as counts, sorted by scope."""
    with store.session() as s:
        newest = (
            select(RunRow.scope, func.max(RunRow.started_at).label("started"))
            .where(RunRow.status.in_(FINISHED))
            .group_by(RunRow.scope)
            .subquery()
        )
        rows = s.scalars(
            select(RunRow)
            .join(newest, (RunRow.scope == newest.c.scope) & (RunRow.started_at == newest.c.started))
            .where(RunRow.status.in_(FINISHED))
            .order_by(RunRow.scope, RunRow.id.desc())
        )
        runs: dict[str, RunCounts] = {}
        ids: dict[str, RunCounts] = {}
        for r in rows:
            if r.scope in runs:  # two runs started in the same instant: the later id
                continue
            faults = r.api_faults or {}
            runs[r.scope] = ids[r.id] = RunCounts(
                scope=r.scope,
                status=r.status,
                started_at=aware(r.started_at),
                finished_at=aware(r.finished_at) if r.finished_at else None,
                api_calls=r.api_calls or {},
                api_throttles=faults.get("throttles") or {},
                api_errors=faults.get("errors") or {},
            )
        if not ids:
            return []
        counted = s.execute(
            select(
                FindingRow.run_id,
                FindingRow.check_id,
                FindingRow.target_key,
                FindingRow.status,
                FindingRow.severity,
                func.count(),
            )
            .where(FindingRow.run_id.in_(ids))
            .group_by(
                FindingRow.run_id,
                FindingRow.check_id,
                FindingRow.target_key,
                FindingRow.status,
                FindingRow.severity,
            )
        )
        for run_id, check_id, target, status, severity, n in counted:
            ids[run_id].findings[(check_id, target, status, severity)] = n
        for t in s.scalars(select(TargetResultRow).where(TargetResultRow.run_id.in_(ids))):
            ids[t.run_id].targets[t.target] = (t.error is not None, t.seconds)
    return [runs[k] for k in sorted(runs)]


def last_success(store: Store, *, scopes: Collection[str] | None = None) -> dict[str, datetime]:
    """scope -> when the newest successful run that ran it finished (see `covered`; scopes that never
    succeeded are absent); only `scopes` when given."""
    failed_target = exists().where(TargetResultRow.run_id == RunRow.id, TargetResultRow.error.is_not(None))
    error_finding = exists().where(FindingRow.run_id == RunRow.id, FindingRow.status == Status.ERROR.value)
    q = (
        select(RunRow.scope, func.max(RunRow.finished_at))
        .where(RunRow.status == "complete", RunRow.finished_at.is_not(None), ~failed_target, ~error_finding)
        .group_by(RunRow.scope)
    )
    out: dict[str, datetime] = {}
    with store.session() as s:
        for label, when in s.execute(q):
            for scope in covered(label):
                if when is not None and (scopes is None or scope in scopes):
                    out[scope] = max(out.get(scope, aware(when)), aware(when))
    return out
