"""`opsbook notify test|channels|log`: try a channel, list channels and routes (never a URL), read the log."""

from __future__ import annotations

import socket
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from opsbook.cli.audit_cmd import parse_since
from opsbook.cli.common import STATE, TableJson, console, emit_json, read_store
from opsbook.core.config import Config
from opsbook.core.errors import NotFound, StoreUnavailable
from opsbook.core.events import Event, EventKind
from opsbook.engine.selection import load_checked_config
from opsbook.store.db import Store, iso, open_store

notify_app = typer.Typer(help="Notification channels: test one, list them, read what was sent.",
                         no_args_is_help=True)  # fmt: skip


def _channel(cfg: Config, name: str) -> None:
    channels = cfg.notifications.channels
    if name not in channels:
        known = ", ".join(sorted(channels)) or "none configured (notifications.channels)"
        raise NotFound(f"no notification channel {name!r} (channels: {known})")
    channels[name].require_variables(name)


def _store(cfg: Config) -> Store | None:
    try:
        return open_store(cfg.storage.url)
    except StoreUnavailable:
        return None  # the test message still goes out; it is just not logged


@notify_app.command("test")
def notify_test(
    channel: str = typer.Argument(..., help="A channel name from `opsbook notify channels`."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table (text) | json."),
) -> None:
    """Send a test message to CHANNEL (routes aside). Exit 0 delivered, 1 not delivered, 2 unknown channel
    or a missing environment variable."""
    from opsbook.notify import send_to

    cfg = load_checked_config(STATE.config_path)
    _channel(cfg, channel)
    event = Event(EventKind.TEST, "opsbook test notification",
                  body=f"A test message from opsbook on {socket.gethostname()}.")  # fmt: skip
    store = _store(cfg)
    try:
        delivery = send_to(cfg, channel, event, store=store)
    finally:
        if store is not None:
            store.close()
    if fmt is TableJson.json:
        emit_json({"channel": channel, "ok": delivery.ok, "error": delivery.error})
    elif delivery.ok:
        console().print(f"sent a test message to {escape(channel)}")
    else:
        console(stderr=True).print(
            escape(f"error: {channel}: not delivered: {delivery.error}"), soft_wrap=True
        )
    raise typer.Exit(0 if delivery.ok else 1)


@notify_app.command("channels")
def notify_channels(
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Each channel: its name, type (the URL's scheme, or sns) and the routes that use it. Never its URL."""
    cfg = load_checked_config(STATE.config_path)
    rows: list[dict[str, Any]] = []
    for name, ch in sorted(cfg.notifications.channels.items()):
        routes = [
            f"{', '.join(r.events)} >= {r.min_severity.value}"
            for r in cfg.notifications.routes
            if name in r.channels
        ]
        rows.append({"name": name, "type": ch.kind, "routes": routes})
    if fmt is TableJson.json:
        emit_json(rows)
        return
    t = Table(title=f"{len(rows)} notification channels")
    for col in ("name", "type", "routes"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["name"], r["type"], "; ".join(r["routes"]) or "(no route: only `notify test`)")
    console().print(t)


@notify_app.command("log")
def notify_log(
    since: str = typer.Option(None, "--since", help="Only since then: 7d, 12h, or an ISO date."),
    limit: int = typer.Option(200, "--limit", "-n", min=1, help="At most this many rows."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """What was sent (or deduplicated, or failed), newest first."""
    from opsbook.store import notifications

    when = parse_since(since)
    rows = read_store(lambda store: notifications.recent(store, since=when, limit=limit))
    docs = [{**vars(r), "sent_at": iso(r.sent_at), "targets": list(r.targets)} for r in rows]
    if fmt is TableJson.json:
        emit_json(docs)
        return
    t = Table(title=f"{len(docs)} notifications")
    for col in ("time", "event", "channel", "result", "title"):
        t.add_column(col)
    for d in docs:
        result = "deduplicated" if d["deduplicated"] else "sent" if d["ok"] else f"failed: {d['error']}"
        t.add_row(*(escape(v) for v in (d["sent_at"][:19], d["kind"], d["channel"], result, d["title"])))
    console().print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(notify_app, name="notify")
