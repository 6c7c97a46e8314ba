"""Incidents (guide: Incident Response Checklist): open, tick steps, note, update, resolve.

Opening records the incident with checklist step 1 ("Identify and assess") done by the opener, then
publishes INCIDENT_OPENED through `opsbook.notify`: when a channel delivered it, step 2 ("Notify
stakeholders") is ticked by opsbook. `ticket=True` publishes INCIDENT_TICKET, and a delivery ticks step 3.
Severity or commander changes publish INCIDENT_UPDATED, resolving publishes INCIDENT_RESOLVED; every event
has the dedupe key `incident:<id>`. A notification that reaches no channel is a note, never an error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from opsbook import notify
from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.events import Event, EventKind, EventSeverity
from opsbook.procedures.plan import actor
from opsbook.store import incidents as records
from opsbook.store.db import Store
from opsbook.store.incidents import Incident

SEVERITY = {
    "SEV1": EventSeverity.CRITICAL,
    "SEV2": EventSeverity.HIGH,
    "SEV3": EventSeverity.MEDIUM,
    "SEV4": EventSeverity.LOW,
}
SYSTEM = "opsbook"  # who ticks the steps opsbook did itself (notified, ticket created)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/*-]{0,199}$")


def who() -> str:
    return actor()[0]


def target_keys(
    *, clusters: list[str], accounts: list[str], regions: list[str], services: list[str]
) -> list[str]:
    """The affected targets as the keys runs store (`k8s:<cluster>`, `aws:<account>/<region>`, `*` for
    any account or region) plus `service:<namespace>/<deployment>`; InputError names a malformed one."""
    for option, values in (("--cluster", clusters), ("--account", accounts), ("--region", regions)):
        for v in values:
            if not _NAME.match(v):
                raise InputError(f"{option} {v!r}: not a name (letters, digits, . _ - / only)")
    for s in services:
        ns, _, name = s.partition("/")
        if not (ns and name and _NAME.match(ns) and _NAME.match(name) and "/" not in name):
            raise InputError(f"--service {s!r}: expected NAMESPACE/DEPLOYMENT")
    keys = [f"k8s:{c}" for c in clusters]
    if accounts or regions:
        keys += [f"aws:{a}/{r}" for a in accounts or ["*"] for r in regions or ["*"]]
    keys += [f"service:{s}" for s in services]
    return list(dict.fromkeys(keys))


def dedupe_key(incident: Incident, kind: EventKind) -> str | None:
    """Opening pages once (resolving closes that key); the ticket is its own key (created once); every
    update is news (no key)."""
    if kind is EventKind.INCIDENT_UPDATED:
        return None
    return (
        f"incident:{incident.id}:ticket" if kind is EventKind.INCIDENT_TICKET else f"incident:{incident.id}"
    )


def event_for(incident: Incident, kind: EventKind, title: str, body: str = "") -> Event:
    return Event(
        kind=kind,
        title=f"[{incident.severity}] {incident.id}: {title}",
        body=body,
        severity=SEVERITY[incident.severity],
        targets=incident.targets,
        dedupe_key=dedupe_key(incident, kind),
        ref=incident.id,
        details={"incident": incident.id, "status": incident.status, "commander": incident.commander},
    )


def publish(cfg: Config, store: Store, incident: Incident, event: Event, *, step: int | None = None) -> bool:
    """Send `event`; note where it went; tick checklist `step` when a channel delivered it."""
    deliveries = notify.publish(cfg, event, store=store)
    sent = [d.channel for d in deliveries if d.ok and not d.deduplicated]
    failed = [f"{d.channel} ({d.error})" for d in deliveries if not d.ok]
    text = f"{event.kind.value}: " + (f"sent to {', '.join(sent)}" if sent else "no channel delivered it")
    if failed:
        text += f"; failed: {', '.join(failed)}"
    records.add_note(store, incident_id=incident.id, who=SYSTEM, kind="notify", text=text)
    if sent and step is not None:
        records.set_step(store, incident_id=incident.id, number=step, done=True, who=SYSTEM,
                         note=f"{event.kind.value} sent to {', '.join(sent)}")  # fmt: skip
    return bool(sent)


def open_incident(
    cfg: Config,
    store: Store,
    *,
    title: str,
    severity: str,
    targets: list[str],
    commander: str | None = None,
    detected_at: datetime | None = None,
    ticket: bool = False,
) -> Incident:
    if not title.strip():
        raise InputError("--title: must not be empty")
    opener = who()
    incident_id = records.create(store, title=title.strip(), severity=severity, commander=commander or opener,
                                 targets=targets, detected_at=detected_at)  # fmt: skip
    records.set_step(
        store, incident_id=incident_id, number=1, done=True, who=opener, note="opened the incident"
    )
    incident = records.get(store, incident_id=incident_id)
    where = ", ".join(targets) or "no targets named"
    publish(cfg, store, incident, event_for(incident, EventKind.INCIDENT_OPENED, incident.title,
                                            f"commander {incident.commander}; affects {where}"), step=2)  # fmt: skip
    if ticket:
        publish(cfg, store, incident, event_for(incident, EventKind.INCIDENT_TICKET, incident.title,
                                                f"affects {where}"), step=3)  # fmt: skip
    return records.get(store, incident_id=incident_id)


def tick(store: Store, incident_id: str, number: int, *, done: bool, note: str = "") -> bool:
    return records.set_step(store, incident_id=incident_id, number=number, done=done, who=who(), note=note)


def note(store: Store, incident_id: str, text: str, *, kind: str = "note") -> None:
    if not text.strip():
        raise InputError("incident note: the text must not be empty")
    records.add_note(store, incident_id=incident_id, who=who(), text=text.strip(), kind=kind)


def update(
    cfg: Config,
    store: Store,
    incident_id: str,
    *,
    severity: str | None = None,
    commander: str | None = None,
    status: str | None = None,
) -> dict[str, tuple[object, object]]:
    """Change severity / commander / status (not to resolved: `resolve` does that; a status reopens a
    resolved incident); a change of severity or commander is published as INCIDENT_UPDATED."""
    if status == "resolved":
        raise InputError("--status resolved: use `opsbook incident resolve ID`")
    wanted: dict[str, str | None] = {
        k: v for k, v in (("severity", severity), ("commander", commander), ("status", status)) if v
    }
    if not wanted:
        raise InputError("incident update: give --severity, --commander or --status")
    if status:  # reopened (open or mitigated again): its impact window and time to resolve run on
        wanted["resolved_at"] = None
    changed = records.update(store, incident_id=incident_id, **wanted)
    changed.pop("resolved_at", None)
    if changed:
        text = "; ".join(f"{k} {old} -> {new}" for k, (old, new) in changed.items())
        records.add_note(store, incident_id=incident_id, who=who(), kind="status", text=text)
        if {"severity", "commander"} & changed.keys():
            incident = records.get(store, incident_id=incident_id)
            publish(cfg, store, incident, event_for(incident, EventKind.INCIDENT_UPDATED, text))
    return changed


def resolve(
    cfg: Config, store: Store, incident_id: str, *, summary: str = "", at: datetime | None = None
) -> Incident:
    incident = records.get(store, incident_id=incident_id)
    if incident.status == "resolved":
        return incident  # resolving twice changes nothing and sends nothing
    when = at or datetime.now(UTC)
    if when < incident.opened_at:
        raise InputError(f"--at {when.isoformat()}: before the incident was opened")
    records.update(store, incident_id=incident_id, status="resolved", resolved_at=when,
                   summary=summary.strip() or incident.summary)  # fmt: skip
    records.add_note(store, incident_id=incident_id, who=who(), kind="status", at=when,
                     text="resolved" + (f": {summary.strip()}" if summary.strip() else ""))  # fmt: skip
    incident = records.get(store, incident_id=incident_id)
    publish(cfg, store, incident, event_for(incident, EventKind.INCIDENT_RESOLVED, incident.title,
                                            incident.summary))  # fmt: skip
    return incident
