"""`opsbook iam policy|role`: the least-privilege IAM policies opsbook's checks and procedures need, and the
cross-account role that holds them, as Terraform or CloudFormation."""

from __future__ import annotations

import sys
from enum import StrEnum

import typer

from opsbook.cli.common import Format, console, emit_json

iam_app = typer.Typer(
    help="IAM for opsbook itself: the policies its checks and procedures need, and the role to hold them.",
    no_args_is_help=True,
)

CADENCE_HELP = "daily, weekly, weekly:monday, monthly, monthly:audit... (repeatable)."
PROCEDURE_HELP = "The policy of this procedure's plan and apply instead (repeatable; `all`: every one)."


@iam_app.command("policy")
def policy(
    cadence: list[str] = typer.Option([], "--cadence", help=CADENCE_HELP),
    check: list[str] = typer.Option([], "--check", help="Only this check id (repeatable)."),
    procedure: list[str] = typer.Option([], "--procedure", "-p", help=PROCEDURE_HELP),
    fmt: Format = typer.Option(Format.json, "--format", "-f", help="json (the policy) | table (per action)."),
) -> None:
    """Print an IAM policy (sorted, deduplicated actions, Resource "*").

    Default: the read-only policy every AWS check of every cadence needs (narrow it with --cadence and
    --check): attach it to the role opsbook assumes. With --procedure: the policy of those procedures (what
    their planners read and their steps re-check and change; one Read and one Write statement each), kept
    apart from the read-only one so it can be granted per account. Examples:

      opsbook iam policy --cadence daily
      opsbook iam policy --procedure cleanup --procedure backup-rds -f table
    """
    from opsbook.core.errors import InputError

    if fmt not in (Format.json, Format.table):
        raise InputError("--format: `iam policy` writes json or table")
    if procedure:
        if cadence or check:
            raise InputError("--procedure: give it without --cadence/--check (those pick checks)")
        procedure_policy(procedure, fmt)
        return
    from opsbook.engine.iam_policy import actions_of, aws_checks, policy_document

    specs = aws_checks(cadence, check)
    if fmt is Format.json:
        emit_json(policy_document(specs))
        return
    from rich.table import Table

    t = Table(title=f"{len(actions_of(specs))} actions for {len(specs)} checks")
    t.add_column("action")
    t.add_column("checks")
    for action in actions_of(specs):
        t.add_row(action, ", ".join(s.id for s in specs if action in s.all_permissions()))
    console().print(t)


def procedure_policy(names: list[str], fmt: Format) -> None:
    from opsbook.core.errors import InputError
    from opsbook.engine.iam_procedures import access_of, procedure_policy, procedure_specs

    accesses = [access_of(s) for s in procedure_specs(names)]
    if fmt is Format.json:
        idle = [a.name for a in accesses if not a.actions]
        if idle and "all" not in names:
            raise InputError(
                f"--procedure {', '.join(idle)}: calls no AWS API (see -f table for what it needs)"
            )
        emit_json(procedure_policy(a for a in accesses if a.actions))
        return
    from rich.table import Table

    t = Table(title=f"{len(accesses)} procedure{'' if len(accesses) == 1 else 's'}")
    for col in ("procedure", "reads (IAM)", "writes (IAM)", "outside IAM (Kubernetes RBAC, local)"):
        t.add_column(col)
    for a in accesses:
        t.add_row(
            a.name, "\n".join(a.reads) or "-", "\n".join(a.writes) or "-", "\n".join(a.outside_iam) or "-"
        )
    console().print(t)


class RoleFormat(StrEnum):
    terraform = "terraform"
    cloudformation = "cloudformation"


@iam_app.command("role")
def role(
    fmt: RoleFormat = typer.Option(..., "--format", "-f", help="terraform (HCL) | cloudformation (YAML)."),
    trust_account: str | None = typer.Option(
        None, "--trust-account", help="opsbook's central account id (12 digits): any principal IAM lets in."
    ),
    trust_role: str | None = typer.Option(
        None, "--trust-role", help="Or only this role of it: arn:aws:iam::<account>:role/<name>."
    ),
    name: str = typer.Option("opsbook-read", "--name", help="The role's name in every account."),
    external_id: str | None = typer.Option(
        None, "--external-id", help="Require this sts:ExternalId when the role is assumed."
    ),
    procedure: list[str] = typer.Option(
        [], "--procedure", "-p", help="Also a managed policy for this procedure (repeatable; `all`)."
    ),
    managed: bool = typer.Option(
        False, "--managed", help="The read-only policy as a managed policy (default: inline in the role)."
    ),
    cadence: list[str] = typer.Option([], "--cadence", help="Read-only policy of these cadences only."),
) -> None:
    """Print the cross-account role every account needs for opsbook to assume it.

    The role trusts opsbook's central account (or one role of it), optionally only with an ExternalId, and
    holds the read-only policy of `opsbook iam policy`; each --procedure adds that procedure's policy as a
    managed policy of its own, so a team can grant it in one account and not another. Examples:

      opsbook iam role -f terraform --trust-account 999999999999 > opsbook-access.tf
      opsbook iam role -f cloudformation --trust-role arn:aws:iam::999999999999:role/opsbook \\
          --external-id mycompany-opsbook --procedure cleanup > opsbook-access.yaml
    """
    from opsbook.core.errors import InputError
    from opsbook.engine.iam_policy import aws_checks, policy_document
    from opsbook.engine.iam_procedures import aws_accesses, procedure_policy, procedure_specs
    from opsbook.engine.iam_role import RoleSpec, check_names, cloudformation, terraform, trusted_principal

    trusted = trusted_principal(trust_account, trust_role)
    check_names(name, external_id)
    specs = procedure_specs(procedure)
    procs = {a.name: procedure_policy([a]) for a in aws_accesses(specs)}
    idle = [s.name for s in specs if s.name not in procs]
    if idle and "all" not in procedure:
        raise InputError(
            f"--procedure {', '.join(idle)}: calls no AWS API, so there is no IAM policy to grant"
        )
    spec = RoleSpec(
        name=name,
        trusted=trusted,
        read_only=policy_document(aws_checks(cadence)),
        external_id=external_id,
        managed=managed,
        procedures=procs,
    )
    sys.stdout.write(terraform(spec) if fmt is RoleFormat.terraform else cloudformation(spec))


def register(app: typer.Typer) -> None:
    app.add_typer(iam_app, name="iam")
