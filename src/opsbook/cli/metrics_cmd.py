"""Prometheus metrics: `opsbook run ... --metrics-file PATH` and `opsbook metrics` (docs/metrics.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from opsbook.cli.common import config_and_store, console
from opsbook.cli.output import refuse_directory, write_output
from opsbook.core.config import Config
from opsbook.core.errors import OpsbookError
from opsbook.reports import metrics
from opsbook.reports.model import Report


def existing_parent(value: Path | None) -> Path | None:
    """typer callback for `--metrics-file`: its directory must exist already (a textfile collector's
    directory is made by whoever runs node-exporter, never by opsbook), checked before the run."""
    if value is None:
        return None
    if not value.parent.is_dir():
        raise typer.BadParameter(f"{value}: directory {value.parent} does not exist")
    return refuse_directory(value)


def metrics_file_option() -> Any:
    return typer.Option(
        None,
        "--metrics-file",
        help="Also write the run's Prometheus metrics here, atomically (node-exporter's textfile collector).",
        callback=existing_parent,
    )


def run_metrics(report: Report, cfg: Config) -> str:
    """The run's metrics with the last successful run per scope from its store; without the store's part
    when the store cannot be read (the run's own metrics are never lost to it)."""
    from sqlalchemy.exc import SQLAlchemyError

    from opsbook.store.db import open_store

    if report.store_error:
        return metrics.render_run(report)
    try:
        store = open_store(cfg.storage.url)
    except OpsbookError as exc:
        return _without_store(report, exc)
    try:
        return metrics.render_run(report, store)
    except SQLAlchemyError as exc:
        return _without_store(report, exc)
    finally:
        store.close()


def _without_store(report: Report, exc: Exception) -> str:
    text = f"warning: metrics without the last successful runs: store: {type(exc).__name__}: {exc}"
    console(stderr=True).print(escape(text.splitlines()[0]), soft_wrap=True)
    return metrics.render_run(report)


def metrics_cmd(
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        help="Write here (atomically) instead of stdout; its directory must exist.",
        callback=existing_parent,
    ),
    sandbox: bool = typer.Option(False, "--sandbox", help="The sandbox's store instead of opsbook.yaml's."),
) -> None:
    """Print the Prometheus metrics of the newest run of every scope in the store (for a cron job that
    exports them, or a scrape through node-exporter's textfile collector). See docs/metrics.md."""
    with config_and_store(sandbox, create=False) as (_cfg, store):
        text = metrics.render_store(store)
    write_output(text, output)  # a file is written beside and renamed over: never read half-written


def register(app: typer.Typer) -> None:
    app.command("metrics")(metrics_cmd)
