"""`opsbook stacks list|describe|describe-component|validate|export`: Atmos stacks, natively.

These commands need no opsbook.yaml: atmos.yaml is found via --atmos-config, $ATMOS_CLI_CONFIG_PATH,
then the current directory (or --sandbox uses the sandbox's own stacks tree).
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.markup import escape

from opsbook.cli.common import console, output_option, write_output
from opsbook.cli.output import is_stdout
from opsbook.core.errors import InputError
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.atmos.validate import validate_stacks

app = typer.Typer(help="Atmos stacks: list, describe, validate and export, without the atmos binary.")


class DataFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class ListFormat(StrEnum):
    text = "text"
    json = "json"
    yaml = "yaml"


def atmos_dir(atmos_config: Path | None, sandbox: bool) -> Path | None:
    """The directory (or file) holding atmos.yaml that the user chose, None to search as Atmos does."""
    if sandbox:
        from opsbook.sandbox.stacks import sandbox_stacks_dir

        return sandbox_stacks_dir()
    return atmos_config


ATMOS_CONFIG = typer.Option(
    None, "--atmos-config", help="Directory holding atmos.yaml (default $ATMOS_CLI_CONFIG_PATH, then .)."
)
SANDBOX = typer.Option(False, "--sandbox", help="Use the built-in sandbox's stacks tree.")


def load(atmos_config: Path | None, sandbox: bool) -> Stacks:
    return Stacks.load(atmos_dir(atmos_config, sandbox))


def dump(data: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000)


@app.command("list")
def list_stacks(
    fmt: ListFormat = typer.Option(ListFormat.text, "--format", "-f", help="text | json | yaml."),
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """List stack names, one a line (as `atmos list stacks`)."""
    names = load(atmos_config, sandbox).names()
    if fmt == ListFormat.text:
        write_output("".join(f"{n}\n" for n in names), None)
    else:
        write_output(dump(names, fmt.value), None)


@app.command("describe")
def describe(
    stack: str = typer.Option(None, "--stack", "-s", help="Only this stack."),
    component: list[str] = typer.Option([], "--component", "-c", help="Only this component (repeatable)."),
    fmt: DataFormat = typer.Option(DataFormat.yaml, "--format", "-f", help="yaml | json."),
    output: Path = output_option("Write here instead of stdout (- for stdout)."),
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """Every stack with its resolved components (as `atmos describe stacks`)."""
    data = load(atmos_config, sandbox).describe_stacks(stack, component or None)
    if component and not data:
        raise InputError(
            f"no stack defines component(s) {', '.join(component)}; run `opsbook stacks describe`"
        )
    write_output(dump(data, fmt.value), output)


@app.command("describe-component")
def describe_component(
    component: str = typer.Argument(..., help="Atmos component name."),
    stack: str = typer.Option(..., "--stack", "-s", help="Stack name."),
    fmt: DataFormat = typer.Option(DataFormat.yaml, "--format", "-f", help="yaml | json."),
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """One component in one stack, fully resolved (as `atmos describe component`)."""
    data = load(atmos_config, sandbox).describe_component(component, stack)
    write_output(dump(data, fmt.value), None)


@app.command("validate")
def validate(
    fmt: ListFormat = typer.Option(ListFormat.text, "--format", "-f", help="text | json | yaml."),
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """Check every manifest, import, inheritance chain, template and component schema. Exit 2 on problems."""
    problems = validate_stacks(atmos_dir(atmos_config, sandbox))
    if fmt != ListFormat.text:
        rows = [{"file": p.file, "line": p.line, "message": p.message} for p in problems]
        write_output(dump(rows, fmt.value), None)
    else:
        err = console(stderr=True)
        for problem in problems:
            line = escape(str(problem))  # a problem quotes user text: "[/x]" is not markup
            err.print(f"[bold red]error:[/] {line}", soft_wrap=True, markup=True, highlight=False)
        if not problems:
            console().print("stacks valid", highlight=False)
    if problems:
        # an OpsbookError, not typer.Exit: main() runs click with standalone_mode=False
        raise InputError(
            f"{len(problems)} problem(s) in the stacks; fix them and rerun `opsbook stacks validate`"
        )


@app.command("export")
def export(
    output: Path = output_option("Default ./stacks-YYYYMMDD.json (- for stdout)."),
    atmos_config: Path = ATMOS_CONFIG,
    sandbox: bool = SANDBOX,
) -> None:
    """Write every stack, resolved, as JSON (the guide's `describe stacks --format=json > stacks-DATE.json`)."""
    data = load(atmos_config, sandbox).describe_stacks()
    target = output or Path(f"stacks-{dt.date.today():%Y%m%d}.json")
    write_output(dump(data, "json"), target)
    if not is_stdout(target):
        console(stderr=True).print(f"wrote {target} ({len(data)} stacks)", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="stacks")
