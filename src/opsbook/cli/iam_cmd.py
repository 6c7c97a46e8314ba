"""`opsbook iam policy`: the least-privilege read-only IAM policy for the checks that would run."""

from __future__ import annotations

import typer

from opsbook.cli.common import Format, console, emit_json

iam_app = typer.Typer(help="IAM for opsbook itself: the policy its checks need.", no_args_is_help=True)


@iam_app.command("policy")
def policy(
    cadence: list[str] = typer.Option(
        [], "--cadence", help="daily, weekly, weekly:monday, monthly, monthly:audit... (repeatable)."
    ),
    check: list[str] = typer.Option([], "--check", help="Only this check id (repeatable)."),
    fmt: Format = typer.Option(Format.json, "--format", "-f", help="json (the policy) | table (per action)."),
) -> None:
    """Print the read-only IAM policy (sorted, deduplicated actions, Resource "*") that the selected AWS
    checks need: attach it to the role opsbook assumes. Default: every AWS check of every cadence."""
    from opsbook.core.errors import InputError
    from opsbook.engine.iam_policy import actions_of, aws_checks, policy_document

    specs = aws_checks(cadence, check)
    if fmt is Format.json:
        emit_json(policy_document(specs))
        return
    if fmt is not Format.table:
        raise InputError("--format: `iam policy` writes json or table")
    from rich.table import Table

    t = Table(title=f"{len(actions_of(specs))} actions for {len(specs)} checks")
    t.add_column("action")
    t.add_column("checks")
    for action in actions_of(specs):
        t.add_row(action, ", ".join(s.id for s in specs if action in s.all_permissions()))
    console().print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(iam_app, name="iam")
