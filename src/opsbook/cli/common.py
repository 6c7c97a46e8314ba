"""Shared CLI plumbing: global state, one-line errors with exit codes, output formats."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from opsbook.core.errors import InputError, OpsbookError, StoreUnavailable, one_line


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@dataclass
class State:
    config_path: str | None = None
    debug: bool = False


STATE = State()


def console(stderr: bool = False) -> Console:
    c = Console(stderr=stderr, no_color=bool(os.environ.get("NO_COLOR")), highlight=False)
    if not c.is_terminal and not os.environ.get("COLUMNS"):
        c.width = 160  # piped or redirected: wide enough that tables stay readable
    return c


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    console(stderr=True).print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def report_error(exc: BaseException) -> int:
    """One line on stderr and the exit code for `exc`: opsbook's own errors by their branch of the tree,
    a store failure exit 3, an OS error on a file the user named exit 2; anything else is a bug (70)."""
    if STATE.debug:
        import traceback

        traceback.print_exception(exc)
    err = console(stderr=True)
    if isinstance(exc, KeyboardInterrupt):
        err.print("interrupted")
        return 130
    known = known_error(exc)
    if known is not None:
        err.print(f"[bold red]error:[/] {escape(one_line(known))}", soft_wrap=True, markup=True)
        return known.exit_code
    err.print(
        f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(one_line(exc))} "
        "(rerun with --debug for the traceback)",
        soft_wrap=True,
    )
    return 70


def known_error(exc: BaseException) -> OpsbookError | None:
    """`exc` as a branch of the error tree when it is one of the families every command can meet."""
    if isinstance(exc, OpsbookError):
        return exc
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        orig = getattr(exc, "orig", None) or exc
        return StoreUnavailable(f"store: {type(exc).__name__}: {orig}")
    if isinstance(exc, OSError) and exc.filename is not None:
        return InputError(f"{exc.filename}: {exc.strerror or exc}")
    return None


def emit_json(data: Any, output: Path | None = None) -> None:
    """Stream JSON out (a report of thousands of findings is never held as one string); files are
    written beside and renamed into place, so a reader never sees half a report."""
    if output is None:
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, default=str)
        fh.write("\n")
    tmp.replace(output)


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
