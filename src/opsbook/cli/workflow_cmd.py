"""`opsbook workflow list|run`: Atmos workflow files, with atmos steps run natively."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from opsbook.cli.common import console, write_output
from opsbook.cli.stacks_cmd import ATMOS_CONFIG, SANDBOX, ListFormat, dump, load
from opsbook.providers.atmos.steps import AtmosSteps, stacks_matching
from opsbook.providers.atmos.workflows import WorkflowRunner, Workflows

app = typer.Typer(
    help="Atmos workflows: list them, run one (atmos and shell steps), resume with --from-step."
)


@app.command("list")
def list_workflows(
    fmt: ListFormat = typer.Option(ListFormat.text, "--format", "-f", help="text | json | yaml."),
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """Every workflow in every file under workflows.base_path."""
    rows, problems = Workflows(load(atmos_config, sandbox).config).list()
    err = console(stderr=True)
    for problem in problems:
        err.print(f"[yellow]warning:[/] {problem}", markup=True, soft_wrap=True, highlight=False)
    if fmt != ListFormat.text:
        write_output(
            json.dumps(rows, indent=2) + "\n" if fmt == ListFormat.json else dump(rows, "yaml"), None
        )
        return
    width = max((len(r["file"]) for r in rows), default=4)
    name_width = max((len(r["name"]) for r in rows), default=4)
    lines = [f"{r['file']:<{width}}  {r['name']:<{name_width}}  {r['description']}".rstrip() for r in rows]
    write_output("".join(line + "\n" for line in lines), None)


@app.command("run")
def run(
    name: str = typer.Argument(..., help="Workflow name."),
    context: list[str] = typer.Argument(
        None,
        help="KEY=VALUE selecting the stacks to run it for, as the guide calls it: tenant=mycompany "
        "account=dev environment=use1 (each matching stack in turn; -s wins over them).",
        show_default=False,
    ),
    file: str = typer.Option(
        None, "--file", "-f", help="Workflow file under workflows.base_path (no .yaml)."
    ),
    stack: str = typer.Option(None, "--stack", "-s", help="Stack for every atmos step (highest precedence)."),
    from_step: str = typer.Option(None, "--from-step", help="Start at this step (resume after a failure)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the steps without running them."),
    command: str = typer.Option(None, "--command", help="terraform or tofu for terraform steps."),
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """Run a workflow; stops at the first failed step and prints how to resume it.

    Exit 1 when a plan step that asks for `-detailed-exitcode` shows changes (drift): every plan runs
    first and the changed ones are named (`opsbook workflow run drift-detection tenant=mycompany
    account=dev environment=use1`)."""
    from opsbook.cli.terraform_cmd import configured

    stacks, env = configured(atmos_config, sandbox, writes=not dry_run)
    workflows = Workflows(stacks.config)
    workflow = workflows.get(name, file)
    steps = AtmosSteps(stacks, terraform_command=command, base_env=env)
    runner = WorkflowRunner(workflows, steps)
    targets = [stack] if stack or not context else stacks_matching(stacks, context)
    for target in targets:
        runner.run(workflow, target, from_step, dry_run)
    if steps.changes:
        console(stderr=True).print(
            f"terraform plan shows changes (drift) for: {', '.join(steps.changes)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="workflow")
