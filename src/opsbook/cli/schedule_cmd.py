"""`opsbook schedule show | run`: the guide's calendar as a schedule (docs/schedule.md). `opsbook serve
--schedule` runs the same scheduler next to the web app."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from opsbook.cli.common import STATE, TableJson, console, emit_json
from opsbook.core.config import Config
from opsbook.core.errors import StoreMissing, one_line
from opsbook.engine.selection import load_checked_config

app = typer.Typer(
    help="The guide's calendar running itself: daily checks, weekly reviews and monthly parts at their times.",
    no_args_is_help=True,
)


def schedule_config(sandbox: bool) -> tuple[Config, Path | None]:
    """The config the schedule reads (calendar, notifications, store) and the file its runs are given.
    With `sandbox`: the sandbox's store (.opsbook/sandbox.db); the calendar and notifications of --config
    when one is given (each run starts its own sandbox, as `opsbook run --sandbox` does)."""
    from opsbook.cli.run_cmd import SANDBOX_DB

    if not sandbox:
        cfg = load_checked_config(STATE.config_path)  # the runs need its accounts: required
        return cfg, source_file(cfg)
    own = load_checked_config(STATE.config_path) if STATE.config_path else None
    cfg = Config.model_validate({"storage": {"url": SANDBOX_DB}}).model_copy(update={"source": None})
    if own is None:
        return cfg, None
    return cfg.model_copy(update={"calendar": own.calendar, "notifications": own.notifications}), source_file(
        own
    )


def source_file(cfg: Config) -> Path | None:
    """The file `cfg` was read from, absolute (the runs are given it), or None for the defaults."""
    return Path(cfg.source).resolve() if cfg.source and Path(cfg.source).is_file() else None


def say(line: str) -> None:
    """One line of the scheduler's log on stdout, at once (a pipe would hold it back)."""
    print(one_line(line), flush=True)


@contextmanager
def scheduling(cfg: Config, config_path: Path | None, *, sandbox: bool, workdir: Path) -> Iterator[Any]:
    """The scheduler running in a thread over its own store connection; stopped when the block ends (the
    runs going then are sent SIGTERM and their slots recorded interrupted)."""
    from opsbook.cli.schedule_launch import RunLauncher
    from opsbook.engine.scheduler import Scheduler
    from opsbook.store.db import open_store

    launcher = RunLauncher(config_path, sandbox=sandbox, workdir=workdir)
    store = open_store(cfg.storage.url)
    try:
        scheduler = Scheduler(cfg, store, launcher, say=say)  # a cron that never runs: exit 2 here
        stop = threading.Event()
        thread = threading.Thread(target=scheduler.run, args=(stop,), daemon=True, name="opsbook-schedule")
        thread.start()
        try:
            yield scheduler
        finally:
            stop.set()
            scheduler.stopping.set()
            launcher.stop_all()
            thread.join(30)
            scheduler.join(30)
    finally:
        store.close()


@app.command("show")
def show(
    sandbox_store: bool = typer.Option(
        False, "--sandbox-store", help="Read the record of `schedule run --sandbox` (.opsbook/sandbox.db)."
    ),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Each scheduled cadence: its cron and time zone, the days it is due, its next start, and its last
    slot with the run it started.

    Examples: `opsbook schedule show`, `opsbook schedule show --format json`.
    """
    from opsbook.engine import timetable
    from opsbook.engine.scheduler import overview
    from opsbook.store.db import open_store

    cfg = (
        schedule_config(True)[0] if sandbox_store else load_checked_config(STATE.config_path, required=False)
    )

    now = datetime.now(UTC)
    timetable.checked(cfg.calendar, now)
    try:
        store = open_store(cfg.storage.url, create=False)
    except StoreMissing:  # nothing has run yet: the calendar without a last slot, and no store made
        rows = overview(cfg, None, now)
    else:
        try:
            rows = overview(cfg, store, now)
        finally:
            store.close()
    if fmt is TableJson.json:
        emit_json(rows)
        return
    from rich.table import Table

    t = Table(title=f"schedule ({cfg.calendar.timezone})")
    for col in ("cadence", "runs", "cron", "days", "next", "last slot", "result"):
        t.add_column(col)
    for r in rows:
        last: dict[str, Any] | None = r["last"]  # type: ignore[assignment]
        result = "" if not last else " ".join(str(x) for x in (last["state"], last["run_id"] or "") if x)
        t.add_row(str(r["cadence"]), f"run {r['scope']}", str(r["cron"]), str(r["days"]), str(r["next"] or "never"),
                  str(last["slot_at"]) if last else "-", result)  # fmt: skip
    console().print(t)


@app.command("run")
def run(
    sandbox: bool = typer.Option(
        False,
        "--sandbox",
        help="Each run starts the built-in sandbox (`opsbook run --sandbox`); recorded in .opsbook/sandbox.db.",
    ),
) -> None:
    """Run the schedule in the foreground (no web app) until Ctrl-C or SIGTERM: each cadence's
    `opsbook run SCOPE` at its times; a slot missed while stopped runs once on start.

    Examples: `opsbook schedule run`, `opsbook --config opsbook.yaml schedule run --sandbox`.
    With the web app: `opsbook serve --schedule`.
    """
    cfg, path = schedule_config(sandbox)
    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        with scheduling(cfg, path, sandbox=sandbox, workdir=Path.cwd()) as scheduler:
            say(
                f"opsbook schedule: {len(scheduler.cadences)} cadences in {cfg.calendar.timezone} (Ctrl-C to stop)"
            )
            try:
                while not stopped.wait(1.0):
                    pass
            except KeyboardInterrupt:
                pass
            if busy := scheduler.busy():
                say(f"schedule: stopping; interrupting {', '.join(busy)}")
    finally:
        signal.signal(signal.SIGTERM, previous)
    sys.stdout.flush()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="schedule")
