"""Atmos workflow files: load, list, and run steps of type `atmos` (run natively) or `shell`.

Stack precedence for atmos steps (lowest to highest): `-s` inline in the command, the workflow's
`stack:`, the step's `stack:`, the `-s` given on the command line. Unnamed steps are `step1`, `step2`...
A failed step stops the workflow; the error names the command and how to resume with `--from-step`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsbook.core.errors import ConfigError, ExternalCommandError, InputError, NotFound, OpsbookError
from opsbook.providers.atmos.config import AtmosConfig
from opsbook.providers.atmos.yamlload import Loaded, load_manifest

STEP_TYPES = ("atmos", "shell")
ATMOS_ONLY_TYPES = ("script", "exec", "env", "input", "confirm", "choose", "filter", "file", "write", "spin")
STEP_KEYS = {"name", "type", "command", "stack", "env", "retry", "description"}


@dataclass(frozen=True)
class Retry:
    max_attempts: int = 1
    initial_delay: float = 0.0
    max_delay: float | None = None
    backoff: str = "constant"
    multiplier: float = 2.0

    def delay(self, attempt: int) -> float:
        d = self.initial_delay * (self.multiplier ** (attempt - 1) if self.backoff == "exponential" else 1)
        if self.backoff == "linear":
            d = self.initial_delay * attempt
        return min(d, self.max_delay) if self.max_delay is not None else d


@dataclass(frozen=True)
class Step:
    name: str
    type: str
    command: str
    stack: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    retry: Retry = Retry()


@dataclass(frozen=True)
class Workflow:
    name: str
    file: str  # as given with -f (or found), used in resume hints
    path: Path
    description: str
    steps: tuple[Step, ...]
    stack: str | None = None
    env: dict[str, str] = field(default_factory=dict)


class WorkflowStepFailed(ExternalCommandError):
    """A step failed; str() is the message with the command and the resume hint."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _duration(value: Any, where: str) -> float:
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    for suffix, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if text.endswith(suffix) and text[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(text[: -len(suffix)]) * scale
    raise InputError(f"{where}: invalid duration {value!r} (use e.g. 500ms, 2s, 1m)")


def _retry(raw: Any, where: str) -> Retry:
    if raw is None:
        return Retry()
    if not isinstance(raw, dict):
        raise InputError(f"{where}: retry must be a mapping")
    return Retry(
        max_attempts=int(raw.get("max_attempts", 1)),
        initial_delay=_duration(raw.get("initial_delay"), where),
        max_delay=_duration(raw["max_delay"], where) if raw.get("max_delay") is not None else None,
        backoff=str(raw.get("backoff_strategy", "constant")),
        multiplier=float(raw.get("multiplier", 2.0)),
    )


def _env(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError(f"{where}: env must be a mapping of names to values")
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}


class Workflows:
    """The workflow files under `workflows.base_path` of one atmos.yaml."""

    def __init__(self, config: AtmosConfig) -> None:
        self.config = config

    @property
    def base(self) -> Path:
        if self.config.workflows_base is None:
            raise ConfigError(f"{self.config.path}: workflows.base_path is not set; add it to atmos.yaml")
        return self.config.workflows_base

    def files(self) -> list[Path]:
        if not self.base.is_dir():
            return []
        return sorted(p for p in self.base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())

    def rel(self, path: Path) -> str:
        return path.relative_to(self.base).with_suffix("").as_posix()

    def resolve_file(self, spec: str) -> Path:
        candidates = [Path(spec)] if Path(spec).is_absolute() else []
        candidates += [self.base / spec, self.base / f"{spec}.yaml", self.base / f"{spec}.yml"]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        shown = os.path.relpath(self.base / (spec if spec.endswith((".yaml", ".yml")) else f"{spec}.yaml"))
        raise NotFound(f"workflow file not found: the workflow manifest file {shown} does not exist")

    def load_file(self, path: Path) -> tuple[Loaded, dict[str, Any]]:
        loaded = load_manifest(path)
        data = loaded.data
        if not isinstance(data, dict) or not isinstance(data.get("workflows"), dict):
            shown = os.path.relpath(path)
            raise InputError(
                f"{path}:1: invalid workflow manifest: the workflow manifest {shown} must be a map with the "
                "top-level `workflows:` key; add a top-level 'workflows:' key to the manifest file"
            )
        return loaded, data["workflows"]

    def list(self) -> tuple[list[dict[str, str]], list[str]]:
        """Every workflow as {file, name, description}, and one line per manifest that could not be read."""
        rows, problems = [], []
        for path in self.files():
            try:
                _, workflows = self.load_file(path)
            except OpsbookError as exc:
                problems.append(str(exc))
                continue
            for name, body in workflows.items():
                description = str((body or {}).get("description") or "").strip().splitlines()
                rows.append({"file": self.rel(path), "name": str(name), "description": " ".join(description)})
        return rows, problems

    def get(self, name: str, file: str | None = None) -> Workflow:
        if file is None:
            found = [r for r in self.list()[0] if r["name"] == name]
            if not found:
                raise NotFound(f"no workflow found: no workflow exists with name {name}; pass -f FILE")
            if len(found) > 1:
                files = ", ".join(r["file"] for r in found)
                raise InputError(
                    f"workflow {name} is defined in several files ({files}); choose one with -f FILE"
                )
            file = found[0]["file"]
        path = self.resolve_file(file)
        loaded, workflows = self.load_file(path)
        if name not in workflows:
            names = ", ".join(sorted(map(str, workflows)))
            raise NotFound(
                f"no workflow found: no workflow exists with name {name}; available workflows in {path.name}: {names}"
            )
        return self._parse(name, file, path, loaded, workflows[name] or {})

    def _parse(self, name: str, file: str, path: Path, loaded: Loaded, body: Any) -> Workflow:
        where = loaded.where(("workflows", name))
        if not isinstance(body, dict):
            raise InputError(f"{where}: workflow {name} must be a mapping with steps")
        raw_steps = body.get("steps") or []
        if not isinstance(raw_steps, list):
            raise InputError(f"{where}: steps of workflow {name} must be a list")
        if not raw_steps:
            raise InputError(
                f"{where}: workflow has no steps defined: workflow {name} is empty and requires at least one "
                "step to execute"
            )
        steps = []
        for i, raw in enumerate(raw_steps, start=1):
            swhere = loaded.where(("workflows", name, "steps", i - 1))
            steps.append(self._step(name, i, raw, swhere))
        return Workflow(
            name=name,
            file=file,
            path=path,
            description=str(body.get("description") or "").strip(),
            steps=tuple(steps),
            stack=str(body["stack"]) if body.get("stack") else None,
            env=_env(body.get("env"), where),
        )

    def _step(self, workflow: str, index: int, raw: Any, where: str) -> Step:
        if isinstance(raw, str):
            raw = {"command": raw}
        if not isinstance(raw, dict):
            raise InputError(f"{where}: a workflow step must be a mapping with a command")
        name = str(raw.get("name") or f"step{index}")
        kind = str(raw.get("type") or "atmos")
        if kind not in STEP_TYPES:
            if kind in ATMOS_ONLY_TYPES:
                raise InputError(
                    f"{where}: workflow {workflow} step {name}: step type '{kind}' is not supported by opsbook "
                    "(opsbook runs 'atmos' and 'shell' steps)"
                )
            raise InputError(
                f"{where}: invalid workflow step type: workflow {workflow} step {name} uses unsupported type "
                f"{kind}. Step type '{kind}' is not supported; each step must specify a valid type: "
                "'atmos' or 'shell'"
            )
        unknown = sorted(set(raw) - STEP_KEYS)
        if unknown:
            raise InputError(f"{where}: step {name}: option(s) {', '.join(unknown)} not supported by opsbook")
        command = raw.get("command")
        if not isinstance(command, str) or not command.strip():
            raise InputError(f"{where}: step {name} of workflow {workflow} has no command")
        if "{{" in command:
            raise InputError(
                f"{where}: step {name}: Go templates in workflow commands are not supported by opsbook"
            )
        return Step(
            name=name,
            type=kind,
            command=command,
            stack=str(raw["stack"]) if raw.get("stack") else None,
            env=_env(raw.get("env"), where),
            retry=_retry(raw.get("retry"), where),
        )


# ---- running ------------------------------------------------------------------------------------

AtmosHandler = Callable[[list[str], dict[str, str]], int]
Echo = Callable[[str], None]


def _stderr(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def split_stack(args: list[str]) -> tuple[list[str], str | None, list[str]]:
    """(args before `--` without any -s/--stack, the inline stack, args after `--` incl. the `--`)."""
    tail: list[str] = []
    if "--" in args:
        cut = args.index("--")
        args, tail = args[:cut], args[cut:]
    out, stack, i = [], None, 0
    while i < len(args):
        arg = args[i]
        if arg in ("-s", "--stack") and i + 1 < len(args):
            stack, i = args[i + 1], i + 2
            continue
        if arg.startswith("--stack="):
            stack = arg.split("=", 1)[1]
        else:
            out.append(arg)
        i += 1
    return out, stack, tail


@dataclass
class PlannedStep:
    step: Step
    argv: list[str]  # atmos: the atmos arguments; shell: the script as one item
    shown: str  # the command as printed in messages
    stack: str | None


def plan_steps(
    workflow: Workflow, cli_stack: str | None = None, from_step: str | None = None
) -> list[PlannedStep]:
    names = [s.name for s in workflow.steps]
    steps = list(workflow.steps)
    if from_step is not None:
        if from_step not in names:
            raise InputError(
                f"invalid from-step flag: the --from-step flag was set to {from_step}, but this step does not "
                f"exist in workflow {workflow.name}; available steps: {', '.join(names)}"
            )
        steps = steps[names.index(from_step) :]
    planned = []
    for step in steps:
        if step.type == "shell":
            planned.append(PlannedStep(step, [step.command], step.command.strip(), None))
            continue
        try:
            args = shlex.split(step.command)
        except ValueError as exc:
            raise InputError(f"{workflow.path}: step {step.name}: cannot parse command: {exc}") from None
        if args and args[0] == "atmos":
            args = args[1:]
        rest, inline, tail = split_stack(args)
        stack = cli_stack or step.stack or workflow.stack or inline
        if stack and stack != inline:
            argv = [*rest, "-s", stack, *tail]
            shown = "atmos " + " ".join(
                [*map(shlex.quote, rest), "-s", f"'{stack}'", *map(shlex.quote, tail)]
            )
        else:
            argv = [*rest, *(["-s", stack] if stack else []), *tail]
            shown = "atmos " + step.command.strip().removeprefix("atmos ").strip()
        planned.append(PlannedStep(step, argv, shown, stack))
    return planned


@dataclass
class WorkflowRunner:
    """Runs workflows; `atmos` steps go to `atmos_handler(args, env) -> exit code`."""

    workflows: Workflows
    atmos_handler: AtmosHandler
    echo: Echo = _stderr
    cwd: Path | None = None
    shell: str = field(default_factory=lambda: shutil.which("bash") or "/bin/sh")
    sleep: Callable[[float], None] = time.sleep

    def resume_hint(self, workflow: Workflow, step: str, cli_stack: str | None) -> str:
        hint = f"opsbook workflow run {workflow.name} -f {workflow.file} --from-step '{step}'"
        return hint + (f" -s '{cli_stack}'" if cli_stack else "")

    def run(
        self,
        workflow: Workflow,
        cli_stack: str | None = None,
        from_step: str | None = None,
        dry_run: bool = False,
    ) -> list[str]:
        """Run (or with dry_run only show) the steps; returns the names of the steps run."""
        done = []
        for planned in plan_steps(workflow, cli_stack, from_step):
            step = planned.step
            self.echo(f"▶ {step.name}: {planned.shown}" + (" (dry run)" if dry_run else ""))
            if dry_run:
                done.append(step.name)
                continue
            env = {**workflow.env, **step.env}
            code = 1
            for attempt in range(1, max(1, step.retry.max_attempts) + 1):
                code = self._execute(planned, env)
                if code == 0:
                    break
                if attempt < step.retry.max_attempts:
                    self.sleep(step.retry.delay(attempt))
            if code != 0:
                shown = "\n".join(f" {line}" for line in planned.shown.splitlines())
                raise WorkflowStepFailed(
                    f"workflow step execution failed: step '{step.name}' of workflow {workflow.name} exited with "
                    f"code {code} (max attempts ({step.retry.max_attempts}) exceeded)\n"
                    f"The following command failed to execute:\n{shown}\n"
                    f"To resume the workflow from this step, run:\n {self.resume_hint(workflow, step.name, cli_stack)}",
                    code,
                )
            done.append(step.name)
        return done

    def _execute(self, planned: PlannedStep, env: dict[str, str]) -> int:
        if planned.step.type == "shell":
            full_env = {**os.environ, **env}
            proc = subprocess.run(  # noqa: S603 - a shell step is a script by definition; argv list, no shell=True
                [self.shell, "-c", planned.argv[0]], env=full_env, cwd=self.cwd, check=False
            )
            return proc.returncode
        return self.atmos_handler(planned.argv, env)
