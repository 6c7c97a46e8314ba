"""The `opsbook` command. Thin: parse input, call the library, render."""

from __future__ import annotations

import gc
import os
import sys

import typer

from opsbook import __version__
from opsbook.cli.common import STATE, report_error
from opsbook.core.errors import ConfigNotFound

app = typer.Typer(
    name="opsbook",
    help="The Operations Guide as software: health checks, reviews and safe procedures for AWS + EKS + Atmos.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"opsbook {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    config: str = typer.Option(
        None,
        "--config",
        "-c",
        envvar="OPSBOOK_CONFIG",
        help="Path to opsbook.yaml (default ./opsbook.yaml, or $OPSBOOK_CONFIG).",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show version."),
) -> None:
    STATE.config_path = config
    STATE.debug = debug


def _register() -> None:
    """Each command group lives in its own module and adds itself here."""
    from opsbook.cli import register_all

    register_all(app)


def tune_gc() -> None:
    """A run makes hundreds of thousands of short-lived objects (parsed pages, findings, report rows) beside
    a large long-lived heap (modules, service models, checks); at CPython's default (a young collection every
    700 allocations) the collector walked that heap again and again: ~1 s of a 20-account run's JSON report
    and ~15% of its CPU. What is alive at start-up is frozen out of collection, and young collections come
    every 50,000 allocations (a few MB of garbage at most before they do)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def main(argv: list[str] | None = None) -> int:
    code = run_cli(argv)
    if argv is None and temporal_client_used():
        # temporalio's Rust threads can abort a finishing interpreter (SIGABRT in PyGILState_Release,
        # temporalio/sdk-python#300): once everything is written, leave without the interpreter's teardown
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def temporal_client_used() -> bool:
    connect = sys.modules.get("opsbook.temporal.connect")
    return bool(connect and getattr(connect, "CONNECTED", False))


def run_cli(argv: list[str] | None) -> int:
    from opsbook.cli import register_for

    if argv is None:  # the `opsbook` command itself (tests call main(argv) in their own process)
        from opsbook.cli.allocator import tune_malloc

        tune_gc()
        tune_malloc()
    register_for(app, sys.argv[1:] if argv is None else argv)
    try:
        rv = app(args=argv, prog_name="opsbook", standalone_mode=False)
        if isinstance(rv, int):  # click returns the code of typer.Exit when not standalone
            return rv
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return int(exc.code or 0)
    except ConfigNotFound as exc:
        return report_error(ConfigNotFound(exc.path, sandbox_way(sys.argv[1:] if argv is None else argv)))
    except BaseException as exc:  # noqa: BLE001 - the one place errors become exit codes
        return report_error(exc)
    return 0


def sandbox_way(argv: list[str]) -> str:
    """`opsbook serve --sandbox-store`: the command line's own command with its flag for the sandbox (its
    config or its store), for a missing opsbook.yaml's hint; "" when the command has none."""
    from opsbook.cli import VALUE_OPTIONS

    command = typer.main.get_command(app)
    path = ["opsbook"]
    args = iter(argv)
    for arg in args:
        subs = getattr(command, "commands", None)
        if not subs:
            break
        if arg in VALUE_OPTIONS and len(path) == 1:
            next(args, None)  # the root's --config FILE
        elif arg in subs:
            command = subs[arg]
            path.append(arg)
    opts = {o for p in getattr(command, "params", []) for o in p.opts}
    flag = next((f for f in ("--sandbox", "--sandbox-store") if f in opts), None)
    return f"`{' '.join(path)} {flag}`" if flag else ""


if __name__ == "__main__":
    sys.exit(main())
