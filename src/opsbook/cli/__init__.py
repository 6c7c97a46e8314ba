"""Command groups. Each module defines a Typer app or commands; `register_all` mounts them, `register_for`
only the one module a command line needs (importing all of them cost a run ~10 MB and a second)."""

from __future__ import annotations

import importlib
import weakref

import typer

# (module, attribute, name) — name None means the module adds plain commands via `register(app)`.
GROUPS: list[str] = [
    "opsbook.cli.config_cmd",
    "opsbook.cli.run_cmd",
    "opsbook.cli.sandbox_cmd",
    "opsbook.cli.history_cmd",
    "opsbook.cli.stacks_cmd",
    "opsbook.cli.procedures_cmd",
    "opsbook.cli.cleanup_cmd",
    "opsbook.cli.audit_cmd",
    "opsbook.cli.terraform_cmd",
    "opsbook.cli.workflow_cmd",
    "opsbook.cli.report_cmd",
    "opsbook.cli.incident_cmd",
    "opsbook.cli.k8s_cmd",
    "opsbook.cli.iam_cmd",
    "opsbook.cli.upgrade_cmd",
    "opsbook.cli.backup_cmd",
    "opsbook.cli.drill_cmd",
    "opsbook.cli.review_cmd",
    "opsbook.cli.drift_cmd",
    "opsbook.cli.maintenance_cmd",
    "opsbook.cli.diagnose_cmd",
    "opsbook.cli.notify_cmd",
    "opsbook.cli.metrics_cmd",
    "opsbook.cli.serve_cmd",
    "opsbook.cli.schedule_cmd",
    "opsbook.cli.worker_cmd",
]

# top-level command -> the module that registers it (tests/cli/test_lazy_groups.py holds it to GROUPS)
COMMANDS: dict[str, str] = {
    name: module
    for module, names in (
        ("opsbook.cli.config_cmd", ("config",)),
        ("opsbook.cli.run_cmd", ("run", "checks")),
        ("opsbook.cli.sandbox_cmd", ("demo", "sandbox")),
        ("opsbook.cli.history_cmd", ("history", "show")),
        ("opsbook.cli.procedures_cmd", ("apply", "approve", "plan", "procedures")),
    )
    for name in names
} | {m.rsplit(".", 1)[1].removesuffix("_cmd"): m for m in GROUPS if m.endswith("_cmd")}
# the root's options that take a value (cli/main.py)
VALUE_OPTIONS = frozenset({"--config", "-c"})

_done: weakref.WeakKeyDictionary[typer.Typer, set[str]] = weakref.WeakKeyDictionary()


def register(app: typer.Typer, modules: list[str]) -> None:
    done = _done.setdefault(app, set())
    for module in modules:
        if module not in done:
            done.add(module)
            importlib.import_module(module).register(app)


def register_all(app: typer.Typer) -> None:
    register(app, GROUPS)


def command_of(argv: list[str]) -> str | None:
    """The command a command line names (its first word that is not a root option or its value)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def register_for(app: typer.Typer, argv: list[str]) -> None:
    """Only the module of the command `argv` names; every module for help, or a name no module has (so
    click lists them all in its error)."""
    module = COMMANDS.get(command_of(argv) or "")
    register(app, [module] if module else GROUPS)
