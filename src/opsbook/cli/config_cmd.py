"""`opsbook config init|validate|show`."""

from __future__ import annotations

from pathlib import Path

import typer

from opsbook.cli.common import STATE, console, emit_json, write_output
from opsbook.core.config import config_error, resolve_path
from opsbook.core.errors import InputError
from opsbook.engine.selection import load_checked_config
from opsbook.notify.send import understood

config_app = typer.Typer(help="Write, check and show opsbook.yaml.", no_args_is_help=True)

EXAMPLE = Path(__file__).resolve().parent.parent / "core" / "opsbook.example.yaml"


@config_app.command("init")
def init(
    path: Path = typer.Argument(None, help="Where to write (default: --config or ./opsbook.yaml)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented example opsbook.yaml to start from."""
    target = path or resolve_path(STATE.config_path)
    if target.exists() and not force:
        raise InputError(f"{target}: already exists (use --force to overwrite)")
    write_output(EXAMPLE.read_text(encoding="utf-8"), target)
    console().print(f"wrote {target}; edit accounts, then `opsbook config validate`")


@config_app.command("validate")
def validate() -> None:
    """Check opsbook.yaml: YAML syntax, every field, and every check's settings."""
    cfg = load_checked_config(STATE.config_path)  # every check id and setting, with file:line:col
    for name, channel in cfg.notifications.channels.items():  # sent with ${VAR}s from this environment
        where = ("notifications", "channels", name, "url")
        if missing := channel.missing_variables():
            raise config_error(cfg, where, f"environment variable {missing[0]} is not set")
        if not understood(name, channel):
            raise config_error(cfg, where, "not a URL apprise understands (check its scheme and parts)")
    console().print(
        f"{cfg.source}: OK ({len(cfg.accounts)} accounts, {len(cfg.clusters)} clusters, "
        f"{len(cfg.checks)} check overrides)"
    )


@config_app.command("show")
def show() -> None:
    """The effective configuration as JSON, defaults filled in."""
    cfg = load_checked_config(STATE.config_path)
    emit_json(cfg.model_dump(mode="json"))


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
