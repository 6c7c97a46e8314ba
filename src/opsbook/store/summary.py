"""The monthly summary (guide: End of Month / Compliance & Reporting), computed from stored runs.

A failing finding (by uid) opens when a run first reports it FAIL and resolves at the first later run that
evaluated its check on its target (a non-ERROR finding of that check there) without it failing. From those
episodes: findings opened and resolved in the month, mean time to resolve by severity, what is still open,
and the checks that failed in the most runs.

Incidents (the guide's incident-summary.sh): the month's incidents from the store (`incidents=` takes another
source `(store, start, end) -> list[dict]`), their count by severity, mean time to detect (detected ->
opened, for those with `--detected`) and mean time to resolve (impact start -> resolved).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from opsbook.core.errors import InputError
from opsbook.core.models import Severity, Status
from opsbook.store import incidents as incident_records
from opsbook.store.db import Store, aware
from opsbook.store.models import FindingRow, RunRow
from opsbook.store.runs import FINISHED

IncidentSource = Callable[[Store, datetime, datetime], list[dict[str, Any]]]


def month_incidents(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The incidents opened in [start, end), oldest first."""
    return [i.as_dict() for i in incident_records.list_incidents(store, start=start, end=end)]


def incident_stats(incidents: list[dict[str, Any]]) -> dict[str, Any]:
    """Count by severity and status, mean time to detect / to resolve (minutes) over those that have one."""

    def mean(key: str) -> float | None:
        values = [i[key] for i in incidents if i.get(key) is not None]
        return round(sum(values) / len(values), 1) if values else None

    return {
        "total": len(incidents),
        "by_severity": {
            s: n
            for s in incident_records.SEVERITIES
            if (n := sum(1 for i in incidents if i.get("severity") == s))
        },  # fmt: skip
        "by_status": dict(Counter(i.get("status", "open") for i in incidents)),
        "mean_time_to_detect_minutes": mean("time_to_detect_minutes"),
        "mean_time_to_resolve_minutes": mean("time_to_resolve_minutes"),
    }


@dataclass
class Episode:
    uid: str
    check_id: str
    target_key: str
    severity: str
    opened_at: datetime
    resolved_at: datetime | None = None


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of `YYYY-MM`, in UTC."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"--month {month!r}: expected YYYY-MM") from None
    if start.year == datetime.max.year and start.month == 12:  # its end, 10000-01, is no datetime
        raise InputError(f"--month {month!r}: out of range (0001-01 to 9999-11)")
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def episodes(store: Store, *, until: datetime) -> tuple[list[Episode], list[RunRow]]:
    """Every failing episode over the runs that started before `until`, and those runs (oldest first)."""
    with store.session() as s:
        run_rows = list(
            s.scalars(
                select(RunRow)
                .where(RunRow.started_at < until, RunRow.status.in_(FINISHED))
                .order_by(RunRow.started_at, RunRow.id)
            )
        )
        rows = s.execute(
            select(
                FindingRow.run_id,
                FindingRow.uid,
                FindingRow.check_id,
                FindingRow.target_key,
                FindingRow.status,
                FindingRow.severity,
            ).where(FindingRow.run_id.in_([r.id for r in run_rows]))
        ).all()
    by_run: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_run[row.run_id].append(row)
    open_: dict[str, Episode] = {}
    done: list[Episode] = []
    for run in run_rows:
        at = aware(run.started_at)
        found = by_run.get(run.id, [])
        covered = {(r.check_id, r.target_key) for r in found if r.status != Status.ERROR.value}
        failing = {r.uid: r for r in found if r.status == Status.FAIL.value}
        for uid, r in failing.items():
            if uid not in open_:
                open_[uid] = Episode(uid, r.check_id, r.target_key, r.severity, opened_at=at)
        for uid, ep in list(open_.items()):
            if uid not in failing and (ep.check_id, ep.target_key) in covered:
                ep.resolved_at = at
                done.append(open_.pop(uid))
    return done + list(open_.values()), run_rows


def monthly_summary(
    store: Store,
    *,
    month: str,
    top: int = 10,
    incidents: IncidentSource | None = None,
) -> dict[str, Any]:
    """The month's runs, findings opened/resolved, mean time to resolve by severity, top recurring checks."""
    start, end = month_bounds(month)
    eps, run_rows = episodes(store, until=end)
    in_month = [r for r in run_rows if start <= aware(r.started_at) < end]
    opened = [e for e in eps if start <= e.opened_at < end]
    resolved = [e for e in eps if e.resolved_at is not None and start <= e.resolved_at < end]
    still_open = [e for e in eps if e.resolved_at is None]
    hours: dict[str, list[float]] = defaultdict(list)
    for e in resolved:
        assert e.resolved_at is not None
        hours[e.severity].append((e.resolved_at - e.opened_at).total_seconds() / 3600.0)
    order = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
    mttr = {
        sev: {"resolved": len(hours[sev]), "mean_hours": round(sum(hours[sev]) / len(hours[sev]), 2)}
        for sev in order
        if hours.get(sev)
    }
    return {
        "month": month,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "runs": {
            "total": len(in_month),
            "by_scope": dict(Counter(r.scope for r in in_month).most_common()),
            "by_status": dict(Counter(r.status for r in in_month)),
        },
        "findings": {
            "opened": len(opened),
            "resolved": len(resolved),
            "open_at_end": len(still_open),
            "opened_by_severity": _by_severity(opened, order),
            "open_by_severity": _by_severity(still_open, order),
        },
        "mean_time_to_resolve": mttr,
        "top_recurring_checks": recurring(store, runs=[r.id for r in in_month], top=top),
        "incidents": (found := (incidents or month_incidents)(store, start, end)),
        "incident_stats": incident_stats(found),
    }


def _by_severity(items: list[Episode], order: list[str]) -> dict[str, int]:
    counts = Counter(e.severity for e in items)
    return {sev: counts[sev] for sev in order if counts.get(sev)}


def recurring(store: Store, *, runs: list[str], top: int) -> list[dict[str, Any]]:
    """Checks by the number of runs in which they failed, with how many resources failed overall."""
    if not runs:
        return []
    with store.session() as s:
        rows = s.execute(
            select(FindingRow.check_id, FindingRow.run_id, FindingRow.uid, FindingRow.severity).where(
                FindingRow.run_id.in_(runs), FindingRow.status == Status.FAIL.value
            )
        ).all()
    per_check: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = per_check.setdefault(r.check_id, {"runs": set(), "uids": set(), "severity": r.severity})
        c["runs"].add(r.run_id)
        c["uids"].add(r.uid)
    ranked = sorted(per_check.items(), key=lambda kv: (-len(kv[1]["runs"]), -len(kv[1]["uids"]), kv[0]))
    return [
        {
            "check_id": cid,
            "failed_runs": len(c["runs"]),
            "resources": len(c["uids"]),
            "severity": c["severity"],
        }
        for cid, c in ranked[:top]
    ]
