"""`opsbook report monthly`: the end-of-month summary from the store, as Markdown or JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from opsbook.cli.common import MarkdownJson, config_and_store, emit_json, output_option, write_output
from opsbook.reports import monthly
from opsbook.store import summary

report_app = typer.Typer(help="Reports built from the run history.", no_args_is_help=True)


@report_app.command("monthly")
def monthly_report(
    month: str = typer.Option(None, "--month", help="YYYY-MM (default: this month)."),
    sandbox: bool = typer.Option(False, "--sandbox", help="The sandbox's store instead of opsbook.yaml's."),
    fmt: MarkdownJson = typer.Option(MarkdownJson.markdown, "--format", "-f", help="markdown | json."),
    output: Path = output_option("Write the report here instead of stdout (- for stdout)."),
    top: int = typer.Option(10, "--top", min=1, max=100, help="How many recurring checks to list."),
) -> None:
    """Runs, findings opened and resolved, mean time to resolve by severity, top recurring checks.

    Examples: `opsbook report monthly`, `opsbook report monthly --month 2026-11 -o monthly-2026-11.md`.
    """
    wanted = month or datetime.now(UTC).strftime("%Y-%m")
    summary.month_bounds(wanted)  # a bad --month is a usage error before the store is opened
    with config_and_store(sandbox, create=False) as (_cfg, store):
        data = summary.monthly_summary(store, month=wanted, top=top)
    if fmt is MarkdownJson.json:
        emit_json(data, output)
    else:
        write_output(monthly.render(data), output)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
