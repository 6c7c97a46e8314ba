"""`opsbook terraform plan|apply|output COMPONENT -s STACK`: Terraform/OpenTofu for Atmos components.

Options opsbook does not know (e.g. `-var='kubernetes_version=1.29'`, or anything after `--`) are passed
to terraform unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from typer.core import TyperCommand

from opsbook.cli.common import STATE, console, write_output
from opsbook.cli.stacks_cmd import ATMOS_CONFIG, SANDBOX, DataFormat, load
from opsbook.core.errors import InputError
from opsbook.engine.selection import load_checked_config
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.terraform.changes import sandbox_env
from opsbook.providers.terraform.runner import TerraformRunner

TAKES_VALUE = ("-var", "-var-file", "-target", "-replace", "-parallelism", "-lock-timeout")


class PassThrough(TyperCommand):
    """Moves terraform's single-dash options (`-var=x=1`, `-target a`) behind `--` before click parses,
    so click does not read `-var=...` as a cluster of short options (`-v -a -r ... -s`)."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        known = {opt for param in self.params for opt in getattr(param, "opts", [])}
        kept: list[str] = []
        passed: list[str] = []
        items = list(args)
        i = 0
        while i < len(items):
            arg = items[i]
            if arg == "--":
                passed += items[i + 1 :]
                break
            name = arg.split("=", 1)[0]
            if arg.startswith("-") and not arg.startswith("--") and len(name) > 2 and name not in known:
                passed.append(arg)
                if name in TAKES_VALUE and "=" not in arg and i + 1 < len(items):
                    passed.append(items[i + 1])
                    i += 1
            else:
                kept.append(arg)
            i += 1
        return super().parse_args(ctx, kept + (["--", *passed] if passed else []))


app = typer.Typer(help="Plan, apply (a saved plan only) and read outputs of Atmos Terraform components.")
PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}
COMMAND = typer.Option(
    None,
    "--command",
    help="terraform or tofu (default: the component's, $ATMOS_COMPONENTS_TERRAFORM_COMMAND).",
)


def configured(
    atmos_config: Path | None, sandbox: bool, *, writes: bool = True, needs_state: bool = False
) -> tuple[Stacks, dict[str, str]]:
    """With an opsbook.yaml named (`--config`/$OPSBOOK_CONFIG): its `stacks.atmos_config` unless
    --atmos-config/--sandbox say otherwise, and for a sandbox config its S3 for the state
    (`opsbook --config sb.yaml terraform plan eks -s mycompany-dev-use1` after `opsbook sandbox up`).
    The sandbox's own tree is package data: when terraform may write (`writes`), it runs in a copy; its state
    is in a running sandbox's S3, so a command that reads it (`needs_state`: terraform plan/apply/output)
    without a sandbox config is refused with how to start one (a workflow's validate step needs none)."""
    env: dict[str, str] = {}
    if STATE.config_path:
        cfg = load_checked_config(STATE.config_path)
        env = sandbox_env(cfg)
        found = cfg.stacks.atmos_config if cfg.stacks else None
        if atmos_config is None and not sandbox and found:
            atmos_config = Path(found)
    from opsbook.sandbox.stacks import is_sandbox_tree, working_copy

    if writes and (sandbox or is_sandbox_tree(atmos_config)):  # opsbook's package is never written
        if needs_state and not env:  # else terraform init fails on the caller's AWS credentials
            raise InputError(
                "the sandbox's stacks keep their Terraform state in a running sandbox: start one with "
                "`opsbook sandbox up --config-out sb.yaml`, then `opsbook --config sb.yaml terraform ...`"
            )
        copy = working_copy()
        console(stderr=True).print(f"the sandbox's stacks tree, copied to {copy} (terraform writes there)")
        return load(copy, False), env
    return load(atmos_config, sandbox), env


def runner(atmos_config: Path | None, sandbox: bool, command: str | None) -> TerraformRunner:
    stacks, env = configured(atmos_config, sandbox, needs_state=True)
    return TerraformRunner(stacks, command=command, extra_env=env)


@app.command("plan", context_settings=PASSTHROUGH, cls=PassThrough)
def plan(
    ctx: typer.Context,
    component: str = typer.Argument(..., help="Atmos component."),
    stack: str = typer.Option(..., "--stack", "-s", help="Stack name."),
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 2 when the plan has changes (as terraform does)."
    ),
    command: str = COMMAND,
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """Write the varfile (and backend), select the workspace, plan, and save the plan for `apply`."""
    result = runner(atmos_config, sandbox, command).plan(component, stack, ctx.args)
    state = "changes" if result.changes else "no changes"
    console(stderr=True).print(
        f"plan saved: {result.planfile} ({state}; workspace {result.workspace}); "
        f"apply it with `opsbook terraform apply {component} -s {result.stack}`",
        highlight=False,
        soft_wrap=True,
    )
    if detailed_exitcode and result.changes:
        raise SystemExit(2)


@app.command("apply", context_settings=PASSTHROUGH, cls=PassThrough)
def apply(
    ctx: typer.Context,
    component: str = typer.Argument(..., help="Atmos component."),
    stack: str = typer.Option(..., "--stack", "-s", help="Stack name."),
    command: str = COMMAND,
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """Apply the plan saved by `opsbook terraform plan` (refuses locked components and missing plans)."""
    runner(atmos_config, sandbox, command).apply(component, stack, ctx.args)


@app.command("output")
def output(
    component: str = typer.Argument(..., help="Atmos component."),
    name: str = typer.Argument(None, help="One output (default: all)."),
    stack: str = typer.Option(..., "--stack", "-s", help="Stack name."),
    fmt: DataFormat = typer.Option(DataFormat.json, "--format", "-f", help="json | yaml."),
    command: str = COMMAND,
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """Print the component's outputs."""
    data = runner(atmos_config, sandbox, command).output(component, stack, name)
    if fmt == DataFormat.json:
        write_output(json.dumps(data, indent=2, sort_keys=True) + "\n", None)
    else:
        write_output(yaml.safe_dump(data, sort_keys=True), None)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="terraform")
