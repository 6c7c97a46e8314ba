"""`opsbook review access`: the guide's Access Review as one read-only listing (engine/access_review.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from opsbook.cli.common import Format, console, emit_json, output_option, write_output
from opsbook.cli.output import is_stdout, open_output

review_app = typer.Typer(help="Reviews that list, not check: `review access`.", no_args_is_help=True)

ACCESS_HELP = """Who can get in, and with what (the guide's Access Review: `aws iam list-users`, `aws iam get-user-policy`, `kubectl get clusterrolebindings`, `kubectl get rolebindings --all-namespaces`). Read-only.

Per account: every IAM user with its groups and policies (inline, attached, through groups), console access and last login, MFA, access keys and their last use, and whether it is inactive (check iam.inactive_users; `opsbook plan remove-inactive-users` removes those); every role with its policies and last use (iam.unused_roles). Per cluster: ClusterRoleBindings and RoleBindings with their subjects, those granting cluster-admin or wide rights (`*` verbs or resources, Secrets read, escalate/bind/impersonate) marked wide, and the aws-auth mappings of IAM principals to Kubernetes groups (k8s.wide_rbac_bindings).

Exit codes: 0 listed, 2 bad input, 3 an account or cluster could not be read (listed under "not readable")."""


@review_app.command("access", help=ACCESS_HELP)
def access(
    account: list[str] = typer.Option([], "--account", help="Only these accounts (repeat)."),
    cluster: list[str] = typer.Option([], "--cluster", help="Only these clusters (repeat)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table | json | markdown."),
    output: Path = output_option("Write the review here instead of stdout (- for stdout)."),
    sandbox: bool = typer.Option(False, "--sandbox", help="Start the built-in sandbox for this command."),
) -> None:
    from opsbook.cli.run_cmd import config_for
    from opsbook.engine.access_review import review_access
    from opsbook.reports.access_review import markdown

    with config_for(sandbox) as cfg:
        doc = review_access(cfg, account, cluster)
    if fmt is Format.json:
        emit_json(doc, output)
    elif fmt is Format.markdown:
        write_output(markdown(doc), output)
    elif is_stdout(output):
        render(console(), doc)
    else:
        with open_output(output) as fh:
            render(Console(file=fh, no_color=True, width=200), doc)
    raise typer.Exit(doc["exit_code"])


def render(out: Console, doc: dict[str, Any]) -> None:
    from opsbook.reports.access_review import sections

    for title, cols, rows in sections(doc):
        table = Table(title=f"{title} ({len(rows)})", expand=True)
        for c in cols:
            table.add_column(c, overflow="fold")
        for row in rows:
            table.add_row(
                *(escape(v) for v in row),
                style="yellow" if row[cols.index("status")] in ("inactive", "unused", "wide") else None,
            )
        out.print(table)
    for e in doc["errors"]:
        out.print(
            f"[red]not readable[/red] {escape(e['target'])} {escape(e['check'])}: {escape(e['message'])}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
