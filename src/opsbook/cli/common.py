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

from opsbook.core.errors import OpsbookError


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
    if STATE.debug:
        import traceback

        traceback.print_exception(exc)
    if isinstance(exc, OpsbookError):
        # the message may quote user input: escape it, or "[/x]" in a key is read as markup (and raises)
        console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True, markup=True)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        console(stderr=True).print("interrupted")
        return 130
    console(stderr=True).print(
        f"[bold red]internal error:[/] {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
        soft_wrap=True,
    )
    return 70


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
