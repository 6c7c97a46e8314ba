"""An incident's post-mortem draft as Markdown (guide: Incident Response, steps 8-9): summary, impact window,
time to detect / resolve, actions taken, checks that turned red and green, the checklist and the timeline,
with empty "Root cause" and "Preventive measures" sections for the team to fill in."""

from __future__ import annotations

from datetime import datetime

from opsbook.engine.incident_timeline import TimelineEntry, window
from opsbook.reports.markdown_text import cell as _cell
from opsbook.store.incidents import Incident, minutes

ACTED = (" done by ", " undone by ", " resumed by ", " failed by ")  # audit results worth listing as actions


def _at(d: datetime | None) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%SZ") if d else "-"


def _span(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} min" if value < 120 else f"{value / 60:.1f} h"


def _text(e: TimelineEntry) -> str:
    """An entry's text as Markdown; an action note (`incident act`) writes its undo command as `code`."""
    return _cell(e.text, code_spans=e.source == "action")


def render(incident: Incident, entries: list[TimelineEntry]) -> str:
    start, end = window(incident)
    lines = [f"# Post-mortem {incident.id}: {_cell(incident.title)}", ""]
    lines += [
        f"- severity: {incident.severity}; status: {incident.status}; commander: {_cell(incident.commander)}",
        f"- affected: {_cell(', '.join(incident.targets) or '-')}",
        f"- impact window: {_at(start)} .. {_at(incident.resolved_at)}"
        + ("" if incident.resolved_at else " (not resolved yet)"),
        f"- detected: {_at(incident.detected_at)}; opened: {_at(incident.opened_at)}; "
        f"resolved: {_at(incident.resolved_at)}",
        f"- time to detect: {_span(minutes(incident.detected_at, incident.opened_at))}; "
        f"time to resolve: {_span(minutes(start, incident.resolved_at))}",
        "",
        "## Summary",
        "",
        incident.summary or "_(to write)_",
        "",
        "## Actions taken",
        "",
    ]
    actions = [
        e
        for e in entries
        if e.source == "action" or (e.source == "audit" and any(a in e.text for a in ACTED))
    ]
    lines += [f"- {_at(e.at)} {_text(e)}" for e in actions] or ["None recorded."]
    lines += ["", "## Checks that turned red and green", ""]
    changes = [e for e in entries if e.source == "finding"]
    lines += [f"- {_at(e.at)} {_text(e)}" for e in changes] or [
        f"No finding on the affected targets changed between {_at(start)} and {_at(end)}."
    ]
    lines += ["", "## Checklist", ""]
    lines += [
        f"{s.number}. [{'x' if s.done_at else ' '}] {s.title}"
        + (f" ({_cell(s.done_by)}, {_at(s.done_at)})" if s.done_at else "")
        for s in incident.steps
    ]
    lines += ["", "## Timeline", "", "| at (UTC) | source | what |", "|---|---|---|"]
    lines += [f"| {_at(e.at)} | {e.source} | {_text(e)} |" for e in entries]
    lines += ["", "## Root cause", "", "", "## Preventive measures", "", ""]
    return "\n".join(lines)
