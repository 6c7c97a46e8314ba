"""`opsbook maintenance schedule|list|show|cancel|remind` (guide: Maintenance Windows / Schedule Maintenance).
The window's execution is a plan: `opsbook plan maintenance --window ID ...` (docs/maintenance.md)."""

from __future__ import annotations

import typer
from rich.table import Table

from opsbook.cli.common import TableJson, config_and_store, console, emit_json, read_store
from opsbook.store.db import Store
from opsbook.store.maintenance import Window

maintenance_app = typer.Typer(help="Maintenance windows: schedule, notify, mark findings expected.",
                              no_args_is_help=True)  # fmt: skip


def _show(windows: list[Window], fmt: TableJson, title: str) -> None:
    if fmt is TableJson.json:
        emit_json([w.as_dict() for w in windows])
        return
    t = Table(title=title)
    for col in ("id", "status", "starts (UTC)", "ends (UTC)", "targets", "notify", "title"):
        t.add_column(col)
    for w in windows:
        t.add_row(str(w.id), w.status, f"{w.starts_at:%Y-%m-%d %H:%M}", f"{w.ends_at:%Y-%m-%d %H:%M}",
                  ", ".join(w.targets), ", ".join(w.channels), w.title)  # fmt: skip
    console().print(t)


@maintenance_app.command("schedule")
def schedule(
    at: str = typer.Option(..., "--at", help="Start, ISO 8601 with its zone: 2026-12-07T02:00Z."),
    duration: str = typer.Option(..., "--duration", help="How long: 2h, 90m."),
    targets: list[str] = typer.Option(
        ..., "--targets", help="cluster=C,account=A,region=R,stack=S (repeatable)."
    ),  # fmt: skip
    notify_: list[str] = typer.Option([], "--notify", help="A notification channel to tell (repeatable)."),
    title: str = typer.Option("", "--title", help="What the maintenance is (one line)."),
    remind_before: str = typer.Option("1h", "--remind-before", help="Send a reminder this long before."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Record a maintenance window and send its notice (MAINTENANCE_NOTICE): findings on its targets are
    expected while it is active. Exit 2 on bad input."""
    from opsbook.engine import maintenance
    from opsbook.procedures.plan import actor

    request = maintenance.ScheduleRequest(at, duration, tuple(targets), tuple(notify_), title, remind_before)
    user, host = actor()
    with config_and_store() as (cfg, store):
        window = maintenance.schedule(cfg, store, request, created_by=f"{user}@{host}")
        channels = maintenance.notice_channels(cfg, window)
    told = f"notice to {', '.join(channels)}" if channels else "no notification channel routes its notice"
    _show([window], fmt, f"maintenance window {window.id} scheduled; {told}")


@maintenance_app.command("list")
def list_windows(
    all_: bool = typer.Option(False, "--all", help="Also done and cancelled windows."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Maintenance windows, soonest first (scheduled and active unless --all)."""
    from opsbook.engine import maintenance
    from opsbook.store import maintenance as store_mw

    statuses = store_mw.STATUSES if all_ else ("scheduled", "active")

    def listed(store: Store) -> list[Window]:
        maintenance.sync(store)
        return store_mw.windows(store, statuses=statuses)

    windows = read_store(listed)
    _show(windows, fmt, f"{len(windows)} maintenance windows")


@maintenance_app.command("show")
def show(
    window_id: int = typer.Argument(..., help="The window's id."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """One maintenance window, with when its notice and reminder were sent."""
    from opsbook.engine import maintenance
    from opsbook.store import maintenance as store_mw

    with config_and_store(create=False) as (_cfg, store):
        maintenance.sync(store)  # the status as `list` shows it (an ended window is done)
        window = store_mw.get_window(store, window_id=window_id)
    if fmt is TableJson.json:
        emit_json(window.as_dict())
        return
    for key, value in window.as_dict().items():
        shown = ", ".join(value) if isinstance(value, list) else value
        console().print(f"{key}: {shown if shown not in (None, '') else '-'}", markup=False, soft_wrap=True)


@maintenance_app.command("cancel")
def cancel(window_id: int = typer.Argument(..., help="The window's id.")) -> None:
    """Cancel a scheduled or active window: its findings are no longer expected, no reminder is sent."""
    from opsbook.core.errors import InputError
    from opsbook.engine import maintenance
    from opsbook.store import maintenance as store_mw

    with config_and_store() as (_cfg, store):
        maintenance.sync(store)  # an ended window is done, not cancellable
        window = store_mw.get_window(store, window_id=window_id)
        if not store_mw.set_status(
            store, window_id=window_id, status="cancelled", only_from=("scheduled", "active")
        ):
            raise InputError(
                f"maintenance window {window_id} is {window.status}: only a scheduled or active one can be cancelled"
            )
    console().print(f"maintenance window {window_id} cancelled", markup=False)


@maintenance_app.command("remind")
def remind(fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json.")) -> None:
    """Send the reminders that are due (each once). Every `opsbook run` does this too, so a cron'd `run due`
    is enough; this is for a store no run uses."""
    from opsbook.engine import maintenance

    with config_and_store() as (cfg, store):
        sent = maintenance.remind(cfg, store)
    _show(sent, fmt, f"{len(sent)} reminders sent")


def register(app: typer.Typer) -> None:
    app.add_typer(maintenance_app, name="maintenance")
