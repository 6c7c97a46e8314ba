"""`opsbook incident diagnose ID -o DIR` (checklist step 5): `opsbook diagnose` for the incident's targets,
recorded on its timeline (engine/incident_diagnose.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from opsbook.cli.common import TableJson, console, emit_json


def diagnose_cmd(
    incident_id: str = typer.Argument(..., help="The incident id (see `opsbook incident list`)."),
    out: Path = typer.Option(..., "--output", "-o", help="A new or empty directory for the bundle."),
    since: str = typer.Option(
        None, "--since", help="How far back changes count (1h, 30m, 2d); default: since the impact began."
    ),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Collect the emergency diagnostics for the incident's targets into DIR (checklist step 5).

    For the incident's clusters, accounts and services: top nodes, pods by node, describe + events of unhealthy nodes and pods, logs of failing pods, rollout history,
    alarms in ALARM, RDS status and CPU, CloudTrail write events) into DIR; the bundle and its headline
    problems go on the incident's timeline and checklist step 5 is ticked. Exit 3 when a source could not
    be read (noted; the rest is collected)."""
    from opsbook.cli.common import config_and_store
    from opsbook.engine.cleanup import parse_duration
    from opsbook.engine.diagnose_bundle import check_out_dir
    from opsbook.engine.incident_diagnose import diagnose_incident

    window = parse_duration(since, "--since") if since else None
    check_out_dir(out)
    err = console(stderr=True)
    with config_and_store() as (cfg, store):
        summary = diagnose_incident(cfg, store, incident_id, out, since=window,
                                    progress=lambda line: err.print(line, markup=False, soft_wrap=True))  # fmt: skip
    if fmt is TableJson.json:
        emit_json(summary.as_dict())
    else:
        c = console()
        for h in summary.headlines or [{"target": "-", "problem": "no headline problem"}]:
            c.print(f"  {h['target']}: {h['problem']}", markup=False, soft_wrap=True)
        for f in summary.failed:
            c.print(f"[red]not collected[/] {f['target']}: {f['source']}: {f['error']}", soft_wrap=True)
        c.print(f"{incident_id}: bundle {out} ({summary.collected} items) recorded; step 5 done",
                markup=False, soft_wrap=True)  # fmt: skip
    if summary.failed:
        raise typer.Exit(3)
