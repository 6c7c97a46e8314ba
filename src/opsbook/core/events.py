"""Events: what opsbook tells people about (a run's new failures, an incident, a maintenance notice, a plan
that needs approval or failed). Producers build an `Event` and hand it to `opsbook.notify.publish`; the
notifications layer routes it to channels by kind and severity, and de-duplicates by `dedupe_key`.

Findings on a target inside an active maintenance window carry `details[MAINTENANCE_KEY] = window id`: they
are expected, recorded as usual, and never paged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from opsbook.core.models import Severity

MAINTENANCE_KEY = "maintenance_window"


class EventKind(StrEnum):
    RUN_FINISHED = "run.finished"  # one summary per run: new / still failing / resolved
    INCIDENT_OPENED = "incident.opened"
    INCIDENT_UPDATED = "incident.updated"
    INCIDENT_RESOLVED = "incident.resolved"
    INCIDENT_TICKET = "incident.ticket"  # checklist step 3: create a ticket through a channel
    MAINTENANCE_NOTICE = "maintenance.notice"
    MAINTENANCE_REMINDER = "maintenance.reminder"
    MAINTENANCE_DONE = "maintenance.done"
    PLAN_APPROVAL_NEEDED = "plan.approval_needed"
    PLAN_FAILED = "plan.failed"
    SCHEDULE_FAILED = "schedule.failed"  # a scheduled run could not run (docs/schedule.md)
    TEST = "test"  # `opsbook notify test CHANNEL`


# One scale for findings and events (info < low < medium < high < critical); routes say `min_severity`.
# Incidents map SEV1 -> critical ... SEV4 -> low.
EventSeverity = Severity


@dataclass(frozen=True)
class Event:
    kind: EventKind
    title: str  # one line
    body: str = ""  # plain text, a few lines at most; never a secret value
    severity: EventSeverity = EventSeverity.INFO
    targets: tuple[str, ...] = ()  # target keys (Target.key) the event is about
    dedupe_key: str | None = None  # same key, still open -> not sent twice (PagerDuty-style)
    dedupe_group: str | None = None  # a key prefix: only the group's latest key can be open (run summaries)
    ref: str | None = None  # run id, incident id, window id or plan hash the event belongs to
    details: dict[str, Any] = field(default_factory=dict)
