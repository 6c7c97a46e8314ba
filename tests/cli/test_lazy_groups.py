"""`opsbook <command>` imports only the module of that command, and gets the same command it would get
with every module loaded (help and unknown commands still load them all)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import typer

from opsbook.cli import COMMANDS, command_of, register_all, register_for


def tree(cmd: Any) -> Any:
    """A command's subcommands (by name) and options, recursively."""
    if hasattr(cmd, "commands"):  # a group (typer bundles its own click)
        return {name: tree(sub) for name, sub in sorted(cmd.commands.items())}
    return sorted(p.name or "" for p in cmd.params)


def root() -> typer.Typer:
    """An app like cli/main.py's: a callback, so it stays a group whatever is registered."""
    app = typer.Typer(add_completion=False)
    app.callback()(lambda: None)
    return app


def full() -> dict[str, Any]:
    app = root()
    register_all(app)
    out: dict[str, Any] = tree(typer.main.get_command(app))
    return out


def test_every_command_has_its_module_and_the_same_tree_alone() -> None:
    everything = full()
    assert set(everything) == set(COMMANDS)
    for name in everything:
        app = root()
        register_for(app, ["--config", "x.yaml", name, "--help"])
        alone = tree(typer.main.get_command(app))
        assert alone[name] == everything[name], name


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["run", "daily"], "run"),
        (["-c", "run", "plan", "cleanup"], "plan"),  # a config file named "run"
        (["--debug", "--config", "o.yaml", "history"], "history"),
        (["--help"], None),
        ([], None),
    ],
)
def test_command_of(argv: list[str], name: str | None) -> None:
    assert command_of(argv) == name


def test_help_and_unknown_commands_load_every_module() -> None:
    for argv in (["--help"], ["no-such-command"]):
        app = root()
        register_for(app, argv)
        assert set(tree(typer.main.get_command(app))) == set(COMMANDS)


def test_the_command_tunes_the_collector_and_an_in_process_call_does_not() -> None:
    # the `opsbook` command freezes its start-up heap out of collection and collects young objects less
    # often (cli.main.tune_gc); tests calling main(argv) keep their process's own settings
    probe = (
        "import gc, sys; from opsbook.cli.main import main; before = gc.get_threshold();"
        "main(['--version']); assert gc.get_threshold() == before and gc.get_freeze_count() == 0;"
        "sys.argv = ['opsbook', '--version']; main();"
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 1000)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split()[-2:] == ["50000", "True"], out.stdout + out.stderr
