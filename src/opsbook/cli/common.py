"""Shared CLI plumbing: global state, one-line errors with exit codes, output formats."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import NoArgsIsHelpError  # typer vendors click; no public name for it

from opsbook.cli.output import emit_json as emit_json  # the one writer, re-exported for the commands
from opsbook.cli.output import output_option as output_option
from opsbook.cli.output import write_output as write_output
from opsbook.core.aws_names import check_region
from opsbook.core.config import Config
from opsbook.core.errors import EXIT_USAGE, InputError, OpsbookError, StoreMissing, StoreUnavailable, one_line

if TYPE_CHECKING:
    from opsbook.store.db import Store


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class TableJson(StrEnum):
    """For commands that have no Markdown rendering."""

    table = "table"
    json = "json"


class MarkdownJson(StrEnum):
    markdown = "markdown"
    json = "json"


@dataclass
class State:
    config_path: str | None = None
    debug: bool = False


STATE = State()


def known_regions(values: list[str]) -> list[str]:
    """typer callback for `--region`: an unknown region name fails at parse time."""
    for value in values or []:
        try:
            check_region(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return values


def console(stderr: bool = False) -> Console:
    c = Console(stderr=stderr, no_color=bool(os.environ.get("NO_COLOR")), highlight=False, emoji=False)
    if not c.is_terminal and not os.environ.get("COLUMNS"):
        c.width = 160  # piped or redirected: wide enough that tables stay readable
    return c


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    console(stderr=True).print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def usage_error(exc: typer.TyperException) -> int:
    """A parse error from typer (its vendored click): bad option, value, command or argument -> exit 2.

    `no_args_is_help` raises one too, after typer has printed the help (with rich; else the exception's
    message is the help text): still exit 2, as typer itself does.
    """
    if isinstance(exc, NoArgsIsHelpError):
        if exc.format_message().strip():
            sys.stderr.write(exc.format_message().rstrip("\n") + "\n")
        return EXIT_USAGE
    where = ""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        where = f"{ctx.command_path}: "
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    console(stderr=True).print(
        f"[bold red]error:[/] {escape(one_line(where + exc.format_message()))}{escape(hint)}",
        soft_wrap=True,
        markup=True,
    )
    return EXIT_USAGE


def report_error(exc: BaseException) -> int:
    """One line on stderr and the exit code for `exc`: opsbook's own errors by their branch of the tree,
    a store failure exit 3, an OS error on a file the user named exit 2; anything else is a bug (70)."""
    if STATE.debug:
        import traceback

        traceback.print_exception(exc)
    if isinstance(exc, typer.TyperException):
        return usage_error(exc)
    err = console(stderr=True)
    if isinstance(exc, KeyboardInterrupt | typer.Abort):  # typer.Abort: Ctrl-C or EOF at a prompt
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


R = TypeVar("R")


def read_store(read: Callable[[Store], list[R]]) -> list[R]:
    """What `read` lists from the configured store, or [] when there is no store yet: nothing recorded is
    not an error for a listing, and no store is made on the way (`incident list`, `maintenance list`...)."""
    try:
        with config_and_store(create=False) as (_, store):
            return read(store)
    except StoreMissing:
        return []


@contextmanager
def config_and_store(sandbox: bool = False, *, create: bool = True) -> Iterator[tuple[Config, Store]]:
    """The checked config (`--config`, else the default; none is fine) and its store, closed after; with
    `sandbox`, no config is read and the store is the sandbox's (`opsbook run --sandbox`, `opsbook demo`).
    `create=False` for commands that only read: a SQLite store that does not exist is exit 3 naming it,
    never an empty one made on the way (store.db.open_store)."""
    from opsbook.engine.selection import load_checked_config
    from opsbook.store.db import open_store

    if sandbox:
        from opsbook.cli.run_cmd import SANDBOX_DB

        cfg = Config.model_validate({"storage": {"url": SANDBOX_DB}})
    else:
        cfg = load_checked_config(STATE.config_path, required=False)
    store = open_store(cfg.storage.url, create=create)
    try:
        yield cfg, store
    finally:
        store.close()
