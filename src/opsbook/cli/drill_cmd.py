"""`opsbook drill restore`: the guide's Tuesday "Test restore procedure (in test environment)" as a drill
that restores each schedule's latest Completed Velero backup into scratch namespaces, compares, cleans up
and records it (engine/drill.py)."""

from __future__ import annotations

import typer

from opsbook.cli.common import TableJson, console, emit_json
from opsbook.core.models import Severity, Status

drill_app = typer.Typer(help="Drills: prove backups restore (Velero).", no_args_is_help=True)


@drill_app.command("restore")
def restore(
    cluster: str = typer.Option(
        ..., "--cluster", help="The configured cluster whose Velero backups to drill."
    ),
    backup: str = typer.Option("latest", "--backup", help="'latest' (each schedule's) or one Backup's name."),
    schedule: list[str] = typer.Option(
        [], "--schedule", help="Only this schedule (repeatable; with latest)."
    ),
    keep: bool = typer.Option(False, "--keep", help="Leave the scratch namespaces and Restores to inspect."),
    velero_namespace: str = typer.Option(
        "velero", "--velero-namespace", help="The namespace Velero runs in."
    ),
    timeout: float = typer.Option(3600, "--timeout", min=1, help="Seconds to wait for each Restore."),
    poll_interval: float = typer.Option(
        1.0, "--poll-interval", min=0.05, max=60, help="Seconds between looks."
    ),
    fail_on: Severity = typer.Option(None, "--fail-on", help="Exit 1 on failing findings at/above this."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Start the built-in sandbox for this command."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Restore each Velero schedule's latest Completed backup (or --backup NAME) into scratch namespaces
    `<ns>-drill-<id>`, compare kinds, names, counts and ConfigMap/Deployment contents with the backup,
    remove the scratch namespaces and record the drill. Exit 0 clean, 1 a backup or restore Failed /
    PartiallyFailed or a difference, 2 bad input, 3 cluster unreachable or store failed."""
    from opsbook.cli.run_cmd import config_for
    from opsbook.engine import drill

    err = console(stderr=True)
    request = drill.DrillRequest(
        cluster, backup, tuple(schedule), keep, velero_namespace, timeout, poll_interval
    )
    with config_for(sandbox) as cfg:
        result = drill.run_drill(
            cfg, request, progress=lambda line: err.print(line, markup=False, soft_wrap=True)
        )
        drill.record(cfg, result)
        threshold = fail_on or cfg.run.fail_on
    if fmt is TableJson.json:
        emit_json(result.summary() | {"findings": [f.model_dump(mode="json") for f in result.findings]})
    else:
        _table(result)
    if keep and any(b.namespaces for b in result.backups):
        err.print(f"kept for inspection: Restores drill-{result.drill_id}-* and namespaces *-drill-"
                  f"{result.drill_id}; delete them when done", markup=False, soft_wrap=True)  # fmt: skip
    if result.store_error:
        err.print(f"warning: {result.store_error}", markup=False, soft_wrap=True)
    raise typer.Exit(result.exit_code(threshold))


def _table(result: object) -> None:
    from rich.table import Table

    from opsbook.engine.drill import DrillResult

    assert isinstance(result, DrillResult)
    t = Table(title=f"restore drill {result.drill_id} on {result.cluster}")
    for col in ("STATUS", "CHECK", "RESOURCE", "MESSAGE"):
        t.add_column(col)
    for f in result.findings:
        style = "green" if f.status is Status.PASS else "red"
        t.add_row(f"[{style}]{f.status.value}[/]", f.check_id, f.resource.id if f.resource else "", f.message)
    console().print(t)
    for b in result.backups:
        took = f"{b.restore_seconds:g} s" if b.restore_seconds is not None else "-"
        console().print(f"{b.backup}: {b.phase or 'not restored'}, {b.items} items, time to restore {took}",
                        markup=False, soft_wrap=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(drill_app, name="drill")
