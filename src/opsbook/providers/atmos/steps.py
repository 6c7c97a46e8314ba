"""Runs the `atmos ...` commands of workflow steps natively (no atmos binary needed).

Supported: `terraform plan|apply|output COMPONENT -s STACK [terraform args]`, `describe component C -s S`,
`describe stacks [-s S]`, `list stacks`, `validate stacks`, `workflow NAME [-f FILE] [-s S]`.
Anything else fails the step with the name of the unsupported command.

A plan step that asks for terraform's `-detailed-exitcode` and shows changes is recorded in `changes`
(it does not fail the step, unlike Atmos, which stops the workflow there with exit code 2): every plan
of the workflow runs, and `opsbook workflow run` exits 1 at the end naming them (drift detection).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from opsbook.core.errors import ExternalCommandError, InputError, OpsbookError
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.atmos.workflows import WorkflowRunner, Workflows, split_stack

Out = Callable[[str], None]


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _stderr(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _options(args: list[str], names: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """Pull `--name value`/`-n value`/`--name=value` options out of args."""
    rest, found, i = [], {}, 0
    while i < len(args):
        arg = args[i]
        key = arg.split("=", 1)[0]
        if key in names:
            if "=" in arg:
                found[key] = arg.split("=", 1)[1]
            elif i + 1 < len(args):
                found[key] = args[i + 1]
                i += 1
        else:
            rest.append(arg)
        i += 1
    return rest, found


@dataclass
class AtmosSteps:
    stacks: Stacks
    out: Out = _stdout
    err: Out = _stderr
    terraform_command: str | None = None
    depth: int = 0
    runner_options: dict[str, object] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)  # "<component> in <stack>" of -detailed-exitcode plans
    base_env: dict[str, str] = field(default_factory=dict)  # under every step's env (e.g. the sandbox's S3)

    def __call__(self, args: list[str], env: dict[str, str]) -> int:
        try:
            self.dispatch(args, env)
        except ExternalCommandError as exc:
            self.err(f"error: {exc}")
            return exc.exit_code or 1
        except OpsbookError as exc:
            self.err(f"error: {exc}")
            return 1
        return 0

    def dispatch(self, args: list[str], env: dict[str, str]) -> None:
        rest, stack, tail = split_stack(args)
        head = rest[:2]
        if head and head[0] == "terraform" and len(rest) >= 3 and rest[1] in ("plan", "apply", "output"):
            self._terraform(rest[1], rest[2], stack, rest[3:] + tail[1:], env)
        elif head == ["describe", "component"] and len(rest) == 3:
            self.out(
                yaml.safe_dump(self.stacks.describe_component(rest[2], self._need(stack)), sort_keys=True)
            )
        elif head == ["describe", "stacks"]:
            self.out(yaml.safe_dump(self.stacks.describe_stacks(stack), sort_keys=True))
        elif head == ["list", "stacks"]:
            self.out("".join(f"{n}\n" for n in self.stacks.names()))
        elif head == ["validate", "stacks"]:
            from opsbook.providers.atmos.validate import validate_stacks

            problems = validate_stacks(self.stacks.config.path)
            for problem in problems:
                self.err(f"error: {problem}")
            if problems:
                raise InputError(f"{len(problems)} problem(s) in the stacks")
            self.out("stacks valid\n")
        elif head and head[0] == "workflow" and len(rest) >= 2:
            self._workflow(rest[1:], stack)
        else:
            shown = " ".join(args) or "(empty)"
            raise InputError(f"atmos command `{shown}` is not supported by opsbook in workflow steps")

    def _need(self, stack: str | None) -> str:
        if not stack:
            raise InputError(
                "this command needs a stack: add -s STACK to the step, the workflow or the command line"
            )
        return stack

    def _terraform(
        self, action: str, component: str, stack: str | None, extra: list[str], env: dict[str, str]
    ) -> None:
        from opsbook.providers.terraform.runner import TerraformRunner

        runner = TerraformRunner(
            self.stacks, command=self.terraform_command, sink=self.out, extra_env={**self.base_env, **env}
        )
        stack = self._need(stack)
        if action == "plan":
            detailed = "-detailed-exitcode" in extra
            result = runner.plan(component, stack, [a for a in extra if a != "-detailed-exitcode"])
            if detailed and result.changes:
                self.changes.append(f"{component} in {result.stack}")
        elif action == "apply":
            runner.apply(component, stack, extra)
        else:
            self.out(json.dumps(runner.output(component, stack), indent=2, sort_keys=True) + "\n")

    def _workflow(self, args: list[str], stack: str | None) -> None:
        if self.depth > 10:
            raise InputError("workflows nest more than 10 deep; is a workflow calling itself?")
        rest, opts = _options(args, ("-f", "--file", "--from-step"))
        if len(rest) != 1:
            raise InputError(f"workflow step needs exactly one workflow name, got {' '.join(rest) or 'none'}")
        workflows = Workflows(self.stacks.config)
        child = AtmosSteps(self.stacks, self.out, self.err, self.terraform_command, self.depth + 1,
                           changes=self.changes, base_env=self.base_env)  # fmt: skip
        runner = WorkflowRunner(workflows, child, echo=self.err)
        workflow = workflows.get(rest[0], opts.get("-f") or opts.get("--file"))
        runner.run(workflow, stack, opts.get("--from-step"))


CONTEXT_ARGS = {"tenant": "tenant", "account": "stage", "stage": "stage", "environment": "environment",
                "namespace": "namespace"}  # fmt: skip


def stacks_matching(stacks: Stacks, assignments: list[str]) -> list[str]:
    """The stacks a workflow call's `key=value` arguments select (the guide's `atmos workflow
    drift-detection tenant=mycompany account=dev environment=use1`; `account` is the stage, or an
    account id the stack's `vars.account_id` names). None match: an InputError naming what exists."""
    wanted: dict[str, str] = {}
    for arg in assignments:
        key, sep, value = arg.partition("=")
        if not sep or key not in CONTEXT_ARGS or not value:
            raise InputError(
                f"workflow argument {arg!r}: expected KEY=VALUE with KEY one of {', '.join(CONTEXT_ARGS)}"
            )
        wanted[key] = value
    found = []
    for name in stacks.names():
        comps = stacks.describe_stacks(name).get(name, {}).get("components", {}).get("terraform", {})
        first: dict[str, Any] = next(iter(comps.values()), {})
        sample = first.get("vars") or {}
        if all(
            str(sample.get(CONTEXT_ARGS[k])) == v or (k == "account" and str(sample.get("account_id")) == v)
            for k, v in wanted.items()
        ):
            found.append(name)
    if not found:
        shown = " ".join(f"{k}={v}" for k, v in wanted.items())
        raise InputError(f"no stack matches {shown} (stacks: {', '.join(stacks.names())})")
    return found
