"""An incident's timeline, read from the store for its window and its targets: nothing is copied into it.

The window runs from when the impact began (`--detected`, else when it was opened) to when it was resolved
(or now). Each source is a function `(store, incident) -> list[TimelineEntry]` in `SOURCES`; add one (the
notifications log, a diagnose bundle) by appending it there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import func, select

from opsbook.core.models import Status
from opsbook.store import notifications as store_notifications
from opsbook.store import plans as store_plans
from opsbook.store.db import Store, aware
from opsbook.store.incidents import Incident
from opsbook.store.models import FindingRow, RunRow
from opsbook.store.summary import episodes


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    source: str  # run | finding | audit | note | step | notify | action | status ...
    text: str
    ref: str | None = None  # run id, finding uid, plan hash

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "source": self.source, "text": self.text, "ref": self.ref}


Source = Callable[[Store, Incident], list[TimelineEntry]]


def window(incident: Incident, now: datetime | None = None) -> tuple[datetime, datetime]:
    return incident.started_at, incident.resolved_at or now or datetime.now(UTC)


def affects(incident: Incident, target_key: str, resource: str | None = None) -> bool:
    """Whether a target key (and resource id) is one of the incident's targets (`*` matches any part)."""
    for t in incident.targets:
        if t.startswith("service:"):
            if resource and resource == t.removeprefix("service:"):
                return True
        elif fnmatchcase(target_key, t):
            return True
    return False


def notes_and_steps(store: Store, incident: Incident) -> list[TimelineEntry]:
    out = [TimelineEntry(n.at, n.kind, f"{n.who}: {n.text}") for n in incident.notes]
    out += [
        TimelineEntry(
            s.done_at,
            "step",
            f"step {s.number} done by {s.done_by}: {s.title}" + (f" ({s.note})" if s.note else ""),
        )  # fmt: skip
        for s in incident.steps
        if s.done_at is not None
    ]
    return out


def runs(store: Store, incident: Incident) -> list[TimelineEntry]:
    """opsbook runs on the affected targets that started in the window, with their failing count there."""
    start, end = window(incident)
    with store.session() as s:
        rows = [
            r
            for r in s.scalars(select(RunRow).where(RunRow.started_at >= start, RunRow.started_at <= end))
            if any(affects(incident, key) for key in r.targets or [])
        ]
        counts: dict[str, int] = {}
        for run_id, key, n in s.execute(
            select(FindingRow.run_id, FindingRow.target_key, func.count())
            .where(FindingRow.run_id.in_([r.id for r in rows]), FindingRow.status == Status.FAIL.value)
            .group_by(FindingRow.run_id, FindingRow.target_key)
        ):
            if affects(incident, key):
                counts[run_id] = counts.get(run_id, 0) + int(n)
    out = []
    for r in rows:
        out.append(TimelineEntry(aware(r.started_at), "run", f"run {r.scope} started", r.id))
        if r.finished_at is not None:
            text = f"run {r.scope} {r.status}: {counts.get(r.id, 0)} failing on the affected targets"
            out.append(TimelineEntry(aware(r.finished_at), "run", text, r.id))
    return out


def finding_changes(store: Store, incident: Incident) -> list[TimelineEntry]:
    """Findings on the affected targets that turned red (first failed) or green (resolved) in the window."""
    start, end = window(incident)
    out = []
    for ep in episodes(store, until=end)[0]:
        if not affects(incident, ep.target_key):
            continue
        if start <= ep.opened_at <= end:
            out.append(TimelineEntry(ep.opened_at, "finding",
                                     f"red: {ep.check_id} ({ep.severity}) on {ep.target_key}", ep.uid))  # fmt: skip
        if ep.resolved_at is not None and start <= ep.resolved_at <= end:
            out.append(TimelineEntry(ep.resolved_at, "finding",
                                     f"green: {ep.check_id} on {ep.target_key}", ep.uid))  # fmt: skip
    return out


def item_targets(content: dict[str, Any], item_id: str | None) -> tuple[list[str], str | None]:
    """(target keys, resource id) of one item of a stored plan."""
    for item in content.get("items", []):
        if item.get("id") == item_id:
            keys = [f"k8s:{item['cluster']}"] if item.get("cluster") else []
            if item.get("account") and item.get("region"):
                keys.append(f"aws:{item['account']}/{item['region']}")
            return keys, (item.get("resource") or {}).get("id")
    return [], None


def audit(store: Store, incident: Incident) -> list[TimelineEntry]:
    """Plans applied and each procedure step in the window: those run for this incident (`incident act`)
    and any other whose item acts on an affected target."""
    start, end = window(incident)
    rows = store_plans.list_audit(store, since=start, until=end, limit=5000)
    contents = store_plans.plan_contents(store, plan_hashes={r["plan_hash"] for r in rows})
    out = []
    for r in rows:
        if r["incident"] != incident.id:
            keys, resource = item_targets(contents.get(r["plan_hash"], {}), r["item_id"])
            if not any(affects(incident, k, resource) for k in keys) and not affects(incident, "", resource):
                continue
        step = f" step {r['item_id']}" if r["item_id"] else ""
        reason = f": {r['reason']}" if r["reason"] else ""
        text = f"{r['procedure']}{step} {r['action']} {r['resource']} {r['result']} by {r['who']}{reason}"
        out.append(TimelineEntry(datetime.fromisoformat(r["at"]), "audit", text, r["plan_hash"]))
    return out


def notifications(store: Store, incident: Incident) -> list[TimelineEntry]:
    """Notifications in the window about an affected target (a run's summary, a plan that failed there); the
    incident's own are its `notify` notes already."""
    start, end = window(incident)
    out = []
    for n in store_notifications.sent_between(store, start, end):
        if n.ref == incident.id or not any(affects(incident, k) for k in n.targets):
            continue
        state = "deduplicated" if n.deduplicated else "sent" if n.ok else f"failed ({n.error})"
        out.append(TimelineEntry(n.sent_at, "notify", f"{n.kind} to {n.channel} {state}: {n.title}", n.ref))
    return out


SOURCES: list[Source] = [notes_and_steps, runs, finding_changes, audit, notifications]


def timeline(store: Store, incident: Incident, sources: list[Source] | None = None) -> list[TimelineEntry]:
    entries = [e for source in (sources or SOURCES) for e in source(store, incident)]
    return sorted(entries, key=lambda e: e.at)
