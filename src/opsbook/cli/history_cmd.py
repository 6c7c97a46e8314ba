"""`opsbook history` and `opsbook show RUN_ID`: what earlier runs found."""

from __future__ import annotations

import typer

from opsbook.cli.common import Format, TableJson, config_and_store, console, emit_json, write_output
from opsbook.reports.markdown_text import cell
from opsbook.store import runs


def history(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many runs."),
    scope: str = typer.Option(None, "--scope", help="Only runs of this scope (daily, weekly...)."),
    sandbox: bool = typer.Option(False, "--sandbox", help="The sandbox's store instead of opsbook.yaml's."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Recent runs, newest first, with their counts."""
    with config_and_store(sandbox, create=False) as (_cfg, store):
        rows = runs.list_runs(store, limit=limit, scope=scope)
    if fmt is TableJson.json:
        emit_json(rows)
        return
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"{len(rows)} runs")
    for col in ("run", "scope", "status", "started", "targets", "fail", "error", "pass"):
        t.add_column(col)
    for r in rows:
        c = r["counts"]
        t.add_row(
            r["run_id"],
            Text(r["scope"]),  # text, not markup: a narrowed run's `daily[account=dev]`
            r["status"],
            (r["started_at"] or "")[:19],
            str(len(r["targets"])),
            str(c.get("fail", 0)),
            str(c.get("error", 0)),
            str(c.get("pass", 0)),
        )
    console().print(t)


def show(
    run_id: str = typer.Argument(..., help="A run id (or a unique prefix) from `opsbook history`."),
    sandbox: bool = typer.Option(False, "--sandbox", help="The sandbox's store instead of opsbook.yaml's."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table | json | markdown."),
) -> None:
    """One stored run with its findings."""
    with config_and_store(sandbox, create=False) as (_cfg, store):
        run = runs.get_run(store, run_id=run_id)
    if fmt is Format.json:
        emit_json(run)
        return
    lines = [f"run {run['run_id']} ({run['scope']}, {run['status']}) started {run['started_at']}"]
    for f in sorted(run["findings"], key=lambda f: (f["status"], f["check_id"])):
        if fmt is Format.markdown:
            lines.append(f"- **{f['status']}** `{f['check_id']}` {f['target']['kind']}: {cell(f['message'])}")
        else:
            lines.append(f"{f['status']:7} {f['severity']:8} {f['check_id']:32} {f['message']}")
    write_output("\n".join(lines) + "\n", None)


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("show")(show)
