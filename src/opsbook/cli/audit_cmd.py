"""`opsbook audit list`: every action, skip and refusal procedures recorded (who, host, plan, result)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from opsbook.cli.common import STATE, TableJson, console, emit_json
from opsbook.core.errors import InputError
from opsbook.engine.selection import load_checked_config
from opsbook.store import plans as store_plans
from opsbook.store.db import open_store

audit_app = typer.Typer(help="The audit trail of procedures (cleanup ...).", no_args_is_help=True)


def parse_since(text: str | None, flag: str = "--since") -> datetime | None:
    """`7d`, `12h`, `30m` ago (parse_duration: at most 100 years, so never before year 1), or an ISO
    date/time."""
    if not text:
        return None
    from opsbook.engine.cleanup import parse_duration

    if text[-1:].lower() in ("d", "h", "w", "m", "s") and text[:-1].replace(".", "", 1).isdigit():
        return datetime.now(UTC) - parse_duration(text, flag)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{flag}: expected 7d, 12h or an ISO date, got {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@audit_app.command("list")
def audit_list(
    since: str = typer.Option(None, "--since", help="Only rows since then: 7d, 12h, or an ISO date."),
    plan_hash: str = typer.Option(None, "--plan", help="Only rows of this plan hash."),
    incident: str = typer.Option(None, "--incident", help="Only rows of applies for this incident."),
    limit: int = typer.Option(500, "--limit", "-n", min=1, help="At most this many rows."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Audit rows, oldest first."""
    cfg = load_checked_config(STATE.config_path, required=False)
    store = open_store(cfg.storage.url, create=False)
    try:
        rows = store_plans.list_audit(
            store, since=parse_since(since), plan_hash=plan_hash, incident=incident, limit=limit
        )
    finally:
        store.close()
    if fmt is TableJson.json:
        emit_json(rows)
        return
    t = Table(title=f"{len(rows)} audit rows")
    for col in ("time", "who", "plan", "item", "account", "action", "resource", "result", "reason"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            r["at"][:19],
            f"{r['who']}@{r['host']}",
            r["plan_hash"][7:19],
            r["item_id"] or "",
            r["account"] or "",
            r["action"],
            r["resource"],
            r["result"],
            r["reason"],
        )
    console().print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
