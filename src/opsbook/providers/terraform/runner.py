"""Runs Terraform (or OpenTofu) for one Atmos component in one stack, as `atmos terraform` does.

plan: write the varfile (and backend.tf.json when configured) -> init -> select or create the workspace
      -> `plan -detailed-exitcode -out <planfile>` (0 no changes, 2 changes, anything else an error);
apply: the same preparation, then `apply <planfile>` of the plan saved by `plan` (never an unreviewed plan);
output: `output -json`.
Abstract and disabled components are refused; locked ones cannot be applied. Every check (component,
folder, saved plan, binary) runs before anything is written: a refused command leaves the folder as it was. Subprocesses get argument
lists (no shell), and their output is streamed line by line to `sink`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsbook.core.errors import ConfigError, ExternalCommandError, InputError, NotFound
from opsbook.providers.atmos.resolver import Stacks, component_dir
from opsbook.providers.terraform.files import backend_config, planfile_name, varfile_name, write_json

OWN_PACKAGE = (
    Path(__file__).resolve().parents[2]
)  # opsbook itself (the sandbox's stacks tree is in it): never written

Sink = Callable[[str], None]


def _stdout(line: str) -> None:
    sys.stdout.write(line)
    sys.stdout.flush()


@dataclass(frozen=True)
class Prepared:
    component: str
    stack: str
    section: dict[str, Any]
    workdir: Path
    varfile: Path
    planfile: Path
    workspace: str
    command: str
    env: dict[str, str]
    backend_file: Path | None = None
    backend: dict[str, Any] | None = None


@dataclass(frozen=True)
class PlanResult:
    component: str
    stack: str
    workspace: str
    planfile: Path
    exit_code: int

    @property
    def changes(self) -> bool:
        return self.exit_code == 2


@dataclass
class TerraformRunner:
    """`command` overrides the component's (`terraform`/`tofu`, from atmos.yaml or the environment)."""

    stacks: Stacks
    command: str | None = None
    sink: Sink = _stdout
    extra_env: dict[str, str] = field(default_factory=dict)
    color: bool | None = None  # None: only on a terminal and without NO_COLOR

    def _no_color(self) -> list[str]:
        color = self.color
        if color is None:
            color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        return [] if color else ["-no-color"]

    # ---- preparation --------------------------------------------------------------------------
    def check_runnable(self, section: dict[str, Any], component: str, stack: str, action: str) -> None:
        meta = section.get("metadata") or {}
        label = f"component '{component}' in stack '{stack}'"
        if meta.get("type") == "abstract":
            raise InputError(
                f"{label} is abstract (metadata.type: abstract) and cannot be {action}ed; "
                "use a component that inherits from it"
            )
        if meta.get("enabled") is False:
            raise InputError(
                f"{label} is disabled (metadata.enabled: false); enable it in the stack manifest"
            )
        if action in ("apply", "destroy") and meta.get("locked") is True:
            raise InputError(
                f"{label} is locked (metadata.locked: true); unlock it in the stack manifest to {action} it"
            )

    def prepare(self, component: str, stack: str, action: str = "plan") -> Prepared:
        """Resolve and check the component in the stack; writes nothing (see `write_files`)."""
        section = self.stacks.component(component, stack)
        stack_name = section["atmos_stack"]
        self.check_runnable(section, component, stack_name, action)
        workdir = component_dir(section)
        if workdir.resolve().is_relative_to(OWN_PACKAGE):
            raise InputError(
                f"{workdir}: inside opsbook's installed package, which terraform must not write to; run it in a "
                "copy of the tree (`opsbook terraform ... --sandbox` makes one in .opsbook/sandbox-stacks)"
            )
        if not workdir.is_dir() or not any(workdir.glob("*.tf")) and not any(workdir.glob("*.tf.json")):
            raise NotFound(
                f"Terraform component folder {workdir} (component '{section['component']}') not found or has no "
                "*.tf files; check components.terraform.base_path and metadata.component"
            )
        backend = backend_config(section) if self.stacks.config.auto_generate_backend_file else None
        command = self.command or section.get("command") or self.stacks.config.terraform_command
        env = dict(os.environ)
        env.update({str(k): _env_text(v) for k, v in (section.get("env") or {}).items()})
        env.update(self.extra_env)
        env.setdefault("TF_IN_AUTOMATION", "1")
        return Prepared(
            component=component,
            stack=stack_name,
            section=section,
            workdir=workdir,
            varfile=workdir / varfile_name(stack_name, component),
            planfile=workdir / planfile_name(stack_name, component),
            workspace=section.get("workspace") or stack_name,
            command=command,
            env=env,
            backend_file=None if backend is None else workdir / "backend.tf.json",
            backend=backend,
        )

    def write_files(self, prep: Prepared) -> None:
        """The varfile and (when configured) backend.tf.json, as Atmos writes them."""
        try:
            write_json(prep.varfile, prep.section.get("vars") or {})
            if prep.backend_file is not None:
                write_json(prep.backend_file, prep.backend)
        except OSError as exc:
            raise InputError(
                f"{prep.workdir}: cannot write the varfile/backend: {exc.strerror or exc}"
            ) from None

    # ---- subprocess -----------------------------------------------------------------------------
    def _binary(self, command: str) -> str:
        found = shutil.which(command)
        if found is None:
            raise ConfigError(
                f"{command}: not found on PATH; install it, or choose another binary with "
                "ATMOS_COMPONENTS_TERRAFORM_COMMAND / components.terraform.command in atmos.yaml"
            )
        return found

    def run(
        self, prep: Prepared, args: Sequence[str], capture: bool = False, quiet: bool = False
    ) -> tuple[int, str]:
        """Run `<command> args...` in the component folder; stream (or capture) its output."""
        argv = [self._binary(prep.command), *args]
        proc = subprocess.Popen(  # noqa: S603 - argument list, no shell
            argv,
            cwd=prep.workdir,
            env=prep.env,
            stdout=subprocess.PIPE,
            stderr=None if capture else subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        chunks: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            if capture or quiet:
                chunks.append(line)
            else:
                self.sink(line)
        return proc.wait(), "".join(chunks)

    def _check(self, prep: Prepared, args: Sequence[str], code: int, output: str = "") -> None:
        if code != 0:
            if output:
                self.sink(output)
            shown = " ".join([prep.command, *args])
            said = first_error(output)
            err = ExternalCommandError(
                f"`{shown}` failed with exit code {code} for component '{prep.component}' in stack "
                f"'{prep.stack}' (in {prep.workdir})" + (f": {said}" if said else "")
            )
            err.exit_code = code if 0 < code < 126 else 1
            raise err

    def init(self, prep: Prepared) -> None:
        # A workspace left selected by an earlier run makes `init -reconfigure` ask about migrating
        # state; start from the default workspace and select ours afterwards (Atmos does the same).
        (prep.workdir / ".terraform" / "environment").unlink(missing_ok=True)
        args = ["init", "-input=false", *self._no_color()]
        # -reconfigure lets one component folder serve stacks with different remote backends; with the
        # local backend (state always in this folder) it would only ask to "migrate" workspaces to themselves.
        if self.stacks.config.init_run_reconfigure and prep.section.get("backend_type") not in ("", "local"):
            args.append("-reconfigure")
        code, out = self.run(prep, args, quiet=True)
        self._check(prep, args, code, out)

    def select_workspace(self, prep: Prepared) -> None:
        if not self.stacks.config.workspaces_enabled or prep.section.get("backend_type") == "http":
            return
        code, _ = self.run(prep, ["workspace", "select", prep.workspace], quiet=True)
        if code != 0:
            args = ["workspace", "new", prep.workspace]
            code, out = self.run(prep, args, quiet=True)
            self._check(prep, args, code, out)

    def _stage(self, prep: Prepared) -> None:
        """After every check passed: find the binary (still before writing), write the files, init."""
        self._binary(prep.command)
        self.write_files(prep)
        self.init(prep)
        self.select_workspace(prep)

    def _ready(self, component: str, stack: str, action: str) -> Prepared:
        prep = self.prepare(component, stack, action)
        self._stage(prep)
        return prep

    # ---- commands -------------------------------------------------------------------------------
    def plan(self, component: str, stack: str, extra_args: Sequence[str] = ()) -> PlanResult:
        """Plan and save the plan; exit code 0 = no changes, 2 = changes (anything else raises)."""
        prep = self._ready(component, stack, "plan")
        args = [
            "plan",
            "-input=false",
            *self._no_color(),
            "-detailed-exitcode",
            f"-var-file={prep.varfile.name}",
            f"-out={prep.planfile.name}",
            *extra_args,
        ]
        code, _ = self.run(prep, args)
        if code not in (0, 2):
            self._check(prep, args, code)
        return PlanResult(component, prep.stack, prep.workspace, prep.planfile, code)

    def apply(self, component: str, stack: str, extra_args: Sequence[str] = ()) -> int:
        """Apply exactly the plan `plan` saved; refuses when there is none."""
        prep = self.prepare(component, stack, "apply")
        if not prep.planfile.is_file():
            raise InputError(
                f"no saved plan for component '{component}' in stack '{prep.stack}' ({prep.planfile.name}); "
                f"run `opsbook terraform plan {component} -s {prep.stack}` first and review it"
            )
        self._stage(prep)
        args = ["apply", "-input=false", *self._no_color(), *extra_args, prep.planfile.name]
        code, _ = self.run(prep, args)
        self._check(prep, args, code)
        prep.planfile.unlink(missing_ok=True)  # a saved plan is applied once
        return code

    def show_plan(self, component: str, stack: str) -> dict[str, Any]:
        """`terraform show -json` of the plan `plan` saved (its resource changes, for a summary)."""
        prep = self.prepare(component, stack, "plan")
        args = ["show", "-json", prep.planfile.name]
        code, text = self.run(prep, args, capture=True)
        self._check(prep, args, code)
        return _json(prep, text)

    def plan_to(
        self, component: str, stack: str, planfile: str, extra_args: Sequence[str] = ()
    ) -> tuple[int, dict[str, Any] | None]:
        """Plan into `planfile` (a name of its own, so a plan saved for `apply` is never replaced) and read
        it back: (0 no changes | 2 changes | any other code: failed, with its output in `sink`,
        `show -json` of the plan or None when it failed). The planfile is removed afterwards."""
        prep = self._ready(component, stack, "plan")
        args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", f"-var-file={prep.varfile.name}",
                f"-out={planfile}", *extra_args]  # fmt: skip
        code, _ = self.run(prep, args)
        try:
            if code not in (0, 2):
                return code, None
            args = ["show", "-json", planfile]
            shown, text = self.run(prep, args, capture=True)
            self._check(prep, args, shown)
            return code, _json(prep, text)
        finally:
            (prep.workdir / planfile).unlink(missing_ok=True)

    def in_sync(self, component: str, stack: str) -> bool:
        """Whether the state already matches the configuration (`plan -detailed-exitcode` exits 0);
        saves no plan."""
        prep = self._ready(component, stack, "plan")
        args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", f"-var-file={prep.varfile.name}"]
        code, out = self.run(prep, args, quiet=True)
        if code not in (0, 2):
            self._check(prep, args, code, out)
        return code == 0

    def output(self, component: str, stack: str, name: str | None = None) -> Any:
        """`terraform output -json` as data: all outputs {name: value}, or one output's value."""
        prep = self._ready(component, stack, "output")
        args = ["output", "-json", *([name] if name else [])]
        code, text = self.run(prep, args, capture=True)
        self._check(prep, args, code)
        data = _json(prep, text)
        if name is None and isinstance(data, dict):
            return {k: v.get("value") if isinstance(v, dict) else v for k, v in data.items()}
        return data


def first_error(output: str) -> str:
    """Terraform's first `Error: ...` summary line in captured output (its boxed diagnostics start each
    line with `│ `), so a failure says why, not only the exit code; "" when there is none."""
    for line in output.splitlines():
        text = line.lstrip("│╷╵ ").strip()
        if text.startswith("Error: "):
            return text
    return ""


def _json(prep: Prepared, text: str) -> Any:
    try:
        return json.loads(text or "null")
    except json.JSONDecodeError:
        raise ExternalCommandError(f"`{prep.command}` did not print JSON (in {prep.workdir})") from None


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None else str(value)
