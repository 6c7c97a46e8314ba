"""`opsbook incident ...` (guide: Incident Response): open, list, show (checklist + timeline), step, note,
update, act (incident_act.py), resolve, postmortem. The library is engine/incidents.py and
engine/incident_timeline.py; this module parses and renders."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from opsbook.cli.audit_cmd import parse_since
from opsbook.cli.common import (
    TableJson,
    config_and_store,
    console,
    emit_json,
    output_option,
    read_store,
    write_output,
)
from opsbook.core.errors import InputError
from opsbook.engine import incident_timeline, incidents
from opsbook.reports import postmortem
from opsbook.store import incidents as records
from opsbook.store.incidents import Incident
from opsbook.store.summary import month_bounds

incident_app = typer.Typer(help="Incidents: the guide's checklist, timeline, actions, post-mortem.",
                           no_args_is_help=True)  # fmt: skip
FMT = typer.Option(TableJson.table, "--format", "-f", help="table | json.")
ID = typer.Argument(..., help="The incident id (INC-YYYYMMDD-NNN, see `opsbook incident list`).")


def _severity(value: str) -> str:
    value = value.upper()
    if value not in records.SEVERITIES:
        raise InputError(f"--severity {value!r}: expected one of {', '.join(records.SEVERITIES)}")
    return value


def _done_steps(incident: Incident) -> str:
    return ", ".join(str(s.number) for s in incident.steps if s.done_at) or "none"


@incident_app.command("open")
def open_cmd(
    title: str = typer.Option(..., "--title", help="One line: what is wrong."),
    severity: str = typer.Option(..., "--severity", help="SEV1 (critical) .. SEV4 (low)."),
    cluster: list[str] = typer.Option([], "--cluster", help="An affected cluster (repeatable)."),
    account: list[str] = typer.Option([], "--account", help="An affected account (repeatable)."),
    region: list[str] = typer.Option([], "--region", help="An affected region (repeatable)."),
    service: list[str] = typer.Option([], "--service", help="An affected NAMESPACE/DEPLOYMENT (repeatable)."),
    commander: str = typer.Option(None, "--commander", help="Who leads it (default: you)."),
    detected: str = typer.Option(None, "--detected", help="When the problem started: 45m (ago) or ISO time."),
    ticket: bool = typer.Option(False, "--ticket", help="Also create a ticket through a channel (step 3)."),
    fmt: TableJson = FMT,
) -> None:
    """Open an incident: step 1 is yours, step 2 is ticked when a channel delivered the notice.

    Example: `opsbook incident open --title "API 5xx" --severity SEV2 --cluster my-cluster --ticket`.
    """
    sev = _severity(severity)
    targets = incidents.target_keys(clusters=cluster, accounts=account, regions=region, services=service)
    detected_at = parse_since(detected, flag="--detected")
    with config_and_store() as (cfg, store):
        inc = incidents.open_incident(cfg, store, title=title, severity=sev, targets=targets,
                                      commander=commander, detected_at=detected_at, ticket=ticket)  # fmt: skip
    if fmt is TableJson.json:
        emit_json(inc.as_dict())
        return
    console().print(f"opened {inc.id} [{inc.severity}] {inc.title} (commander {inc.commander}); "
                    f"checklist steps done: {_done_steps(inc)}", soft_wrap=True, markup=False)  # fmt: skip


@incident_app.command("list")
def list_cmd(
    status: str = typer.Option(None, "--status", help="open | mitigated | resolved."),
    month: str = typer.Option(None, "--month", help="Only incidents opened in YYYY-MM."),
    fmt: TableJson = FMT,
) -> None:
    """Incidents, oldest first, with time to detect and to resolve."""
    if status and status not in records.STATUSES:
        raise InputError(f"--status {status!r}: expected one of {', '.join(records.STATUSES)}")
    start, end = month_bounds(month) if month else (None, None)
    found = read_store(lambda store: records.list_incidents(store, status=status, start=start, end=end))
    rows = [i.as_dict() for i in found]
    if fmt is TableJson.json:
        emit_json(rows)
        return
    t = Table(title=f"{len(rows)} incidents")
    for col in ("id", "severity", "status", "title", "commander", "opened", "detect min", "resolve min"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["id"], r["severity"], r["status"], r["title"], r["commander"], r["opened_at"][:16],
                  str(r["time_to_detect_minutes"] or "-"), str(r["time_to_resolve_minutes"] or "-"))  # fmt: skip
    console().print(t)


@incident_app.command("show")
def show_cmd(incident_id: str = ID, fmt: TableJson = FMT) -> None:
    """The incident, its checklist and its timeline (runs, findings, plans applied, notes) so far."""
    with config_and_store(create=False) as (_, store):
        inc = records.get(store, incident_id=incident_id)
        entries = incident_timeline.timeline(store, inc)
    if fmt is TableJson.json:
        emit_json(inc.as_dict() | {"timeline": [e.as_dict() for e in entries]})
        return
    out = console()
    out.print(f"{inc.id} [{inc.severity}] {inc.title} - {inc.status}, commander {inc.commander}; "
              f"affects {', '.join(inc.targets) or '-'}", soft_wrap=True, markup=False)  # fmt: skip
    for s in inc.steps:
        done = f"x] {s.title} ({s.done_by}, {s.done_at:%Y-%m-%d %H:%M}Z)" if s.done_at else f" ] {s.title}"
        out.print(f"{s.number:2}. [{done}", markup=False, soft_wrap=True)
    t = Table(title=f"timeline: {len(entries)} entries")
    for col in ("at (UTC)", "source", "what"):
        t.add_column(col)
    for e in entries:
        t.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", e.source, e.text)
    out.print(t)


@incident_app.command("step")
def step_cmd(
    incident_id: str = ID,
    number: int = typer.Argument(..., help="The checklist step, 1..10 (`opsbook incident show ID`)."),
    done: bool = typer.Option(None, "--done/--undo", help="Tick the step, or take the tick back."),
    note: str = typer.Option("", "--note", help="What was done."),
) -> None:
    """Tick (or untick) a checklist step with who and when."""
    if done is None:
        raise InputError("incident step: give --done or --undo")
    with config_and_store() as (_, store):
        changed = incidents.tick(store, incident_id, number, done=done, note=note)
    state = "done" if done else "not done"
    console().print(f"{incident_id} step {number}: {state}" + ("" if changed else " (already)"))


@incident_app.command("note")
def note_cmd(incident_id: str = ID, text: str = typer.Argument(..., help="The note.")) -> None:
    """Add a note to the incident's timeline."""
    with config_and_store() as (_, store):
        incidents.note(store, incident_id, text)
    console().print(f"{incident_id}: note added")


@incident_app.command("update")
def update_cmd(
    incident_id: str = ID,
    severity: str = typer.Option(None, "--severity", help="SEV1 .. SEV4."),
    commander: str = typer.Option(None, "--commander", help="Hand the incident over."),
    status: str = typer.Option(None, "--status", help="open | mitigated."),
) -> None:
    """Change severity, commander or status; severity and commander changes are notified."""
    with config_and_store() as (cfg, store):
        changed = incidents.update(cfg, store, incident_id, severity=severity and _severity(severity),
                                   commander=commander, status=status)  # fmt: skip
    text = "; ".join(f"{k} {old} -> {new}" for k, (old, new) in changed.items()) or "nothing changed"
    console().print(f"{incident_id}: {text}", markup=False)


@incident_app.command("resolve")
def resolve_cmd(
    incident_id: str = ID,
    summary: str = typer.Option("", "--summary", help="What happened and what fixed it (the post-mortem's)."),
) -> None:
    """Resolve the incident (ends its impact window) and notify."""
    with config_and_store() as (cfg, store):
        inc = incidents.resolve(cfg, store, incident_id, summary=summary)
    console().print(f"{inc.id} resolved at {inc.resolved_at:%Y-%m-%d %H:%M:%S}Z; "
                    f"time to resolve {inc.as_dict()['time_to_resolve_minutes']} min", markup=False)  # fmt: skip


@incident_app.command("postmortem")
def postmortem_cmd(
    incident_id: str = ID, output: Path = output_option("Write the draft here (default: stdout).")
) -> None:
    """A post-mortem draft: impact window, times, actions, checks red/green, checklist, timeline."""
    with config_and_store(create=False) as (_, store):
        inc = records.get(store, incident_id=incident_id)
        text = postmortem.render(inc, incident_timeline.timeline(store, inc))
    write_output(text, output)
    if output is not None and str(output) != "-":
        console(stderr=True).print(f"post-mortem draft written to {output}")


def register(app: typer.Typer) -> None:
    from opsbook.cli import incident_act, incident_diagnose

    incident_app.command("diagnose")(incident_diagnose.diagnose_cmd)
    incident_app.command("act", context_settings=incident_act.PASS_THROUGH)(incident_act.act_cmd)
    app.add_typer(incident_app, name="incident")
