"""Command groups. Each module defines a Typer app or commands; `register_all` mounts them."""

from __future__ import annotations

import importlib

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
]

_done: set[int] = set()


def register_all(app: typer.Typer) -> None:
    if id(app) in _done:
        return
    _done.add(id(app))
    for module in GROUPS:
        importlib.import_module(module).register(app)
