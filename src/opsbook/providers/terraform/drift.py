"""Plan-based drift: `terraform plan -detailed-exitcode` (refresh on) of every selected component instance
of an Atmos tree, and what each plan shows.

- `instances(stacks, stacks=, components=)`: the deployable (not abstract, not disabled) Terraform component
  instances, each with its stack manifest file and the instances it depends on (`settings.depends_on`, as
  Atmos reads it: `{key: {component, namespace?, tenant?, environment?, stage?}}`, a missing context field
  meaning the instance's own; `file:`/`folder:` entries order nothing);
- `waves(instances)`: dependency order, as levels (a dependency is planned in an earlier level; a cycle
  is an InputError naming it);
- `plan_all(runner, instances, parallelism)`: level by level, instances of different component folders at
  once (at most `parallelism`), those sharing a folder one after another (they share `.terraform/` and its
  selected workspace). Each plan goes to a planfile of its own (a plan saved for `apply` is never replaced)
  with `-lock-timeout=0s`: a held state lock is an error at once, never a wait and never "no drift".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from opsbook.core.errors import InputError, OpsbookError
from opsbook.providers.atmos.resolver import Stacks, component_dir
from opsbook.providers.terraform.changes import changes, output_changes
from opsbook.providers.terraform.files import file_stem
from opsbook.providers.terraform.runner import TerraformRunner

CONTEXT = ("namespace", "tenant", "environment", "stage")


@dataclass(frozen=True)
class Instance:
    stack: str
    component: str
    file: str  # the stack manifest that defines the component (relative to the Atmos base path)
    folder: str  # the Terraform component folder (instances sharing one run one after another)
    context: tuple[tuple[str, str], ...]  # namespace/tenant/environment/stage of the stack
    depends_on: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # (component, context overrides)

    @property
    def key(self) -> str:
        return f"{self.stack}/{self.component}"


@dataclass
class PlanDrift:
    instance: Instance
    changes: list[dict[str, Any]] = field(default_factory=list)  # resource and output changes
    error: str | None = None


def _deployable(section: dict[str, Any]) -> bool:
    meta = section.get("metadata") or {}
    return meta.get("type") != "abstract" and meta.get("enabled") is not False


def _depends(section: dict[str, Any], where: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    raw = (section.get("settings") or {}).get("depends_on") or {}
    if not isinstance(raw, dict):
        raise InputError(f"{where}: settings.depends_on must be a mapping of entries")
    out = []
    for key, dep in sorted(raw.items(), key=lambda kv: str(kv[0])):
        if not isinstance(dep, dict):
            raise InputError(f"{where}: settings.depends_on.{key} must be a mapping")
        if dep.get("component"):
            ctx = tuple((k, str(dep[k])) for k in CONTEXT if dep.get(k))
            out.append((str(dep["component"]), ctx))
    return tuple(out)


def instances(
    stacks: Stacks, only_stacks: Iterable[str] = (), only_components: Iterable[str] = ()
) -> list[Instance]:
    """The selected deployable instances; a selected stack or component that does not exist is refused."""
    wanted_stacks = [stacks.find(s).name for s in only_stacks]
    wanted = set(only_components)
    base = stacks.config.base_path.resolve()
    out: dict[str, Instance] = {}
    seen_components: set[str] = set()
    for name, group in stacks.stacks().items():
        if wanted_stacks and name not in wanted_stacks:
            continue
        for st in group:
            for key in st.raw_components:
                ctype, component = key.split("/", 1)
                seen_components.add(component)
                if ctype != "terraform" or (wanted and component not in wanted):
                    continue
                section = stacks.component_in(stacks.find(name, key), component)
                if not _deployable(section):
                    continue
                found = stacks.find(name, key)
                file = found.path.resolve()
                vars_ = section.get("vars") or {}
                inst = Instance(
                    stack=name,
                    component=component,
                    file=file.relative_to(base).as_posix() if file.is_relative_to(base) else str(file),
                    folder=str(component_dir(section)),
                    context=tuple((k, str(vars_[k])) for k in CONTEXT if vars_.get(k) not in (None, "")),
                    depends_on=_depends(section, str(found.path)),
                )
                out[inst.key] = inst
    if missing := sorted(wanted - seen_components):
        raise InputError(f"--component {', '.join(missing)}: no stack defines it (see `opsbook stacks list`)")
    return [out[k] for k in sorted(out)]


def waves(found: list[Instance]) -> list[list[Instance]]:
    """Dependency levels among `found` (dependencies outside the selection order nothing)."""
    by_context = {(i.component, i.context): i for i in found}
    deps: dict[str, set[str]] = {}
    for inst in found:
        deps[inst.key] = set()
        for component, ctx in inst.depends_on:
            want = tuple(
                sorted((dict(inst.context) | dict(ctx)).items(), key=lambda kv: CONTEXT.index(kv[0]))
            )
            dep = by_context.get((component, want))
            if dep is not None and dep.key != inst.key:
                deps[inst.key].add(dep.key)
    levels: list[list[Instance]] = []
    done: set[str] = set()
    left = {i.key: i for i in found}
    while left:
        ready = [i for k, i in left.items() if deps[k] <= done]
        if not ready:
            raise InputError(f"settings.depends_on makes a cycle among {', '.join(sorted(left))}")
        levels.append(ready)
        done.update(i.key for i in ready)
        for i in ready:
            del left[i.key]
    return levels


def _message(lines: list[str]) -> str:
    """Terraform's error diagnostics from its `-json` lines (or the last plain lines), as one line."""
    errors = []
    for line in lines:
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(msg, dict) and msg.get("@level") == "error":
            diag = msg.get("diagnostic") or {}
            errors.append(" ".join(str(x) for x in (diag.get("summary"), diag.get("detail")) if x))
    text = "; ".join(errors) or " | ".join(ln.strip() for ln in lines[-4:] if ln.strip())
    return " ".join(text.split())[:600]


def drift_changes(show: dict[str, Any], refresh_only: bool = False) -> list[dict[str, Any]]:
    """What a plan (`show -json`) would change: its resource changes (a refresh-only plan's are in
    `resource_drift`: what it records of the live objects) and the outputs whose new value is known (an
    output known only after apply follows a resource change: not a change of its own)."""
    resources = changes({"resource_changes": show.get("resource_drift")} if refresh_only else show)
    return resources + [o for o in output_changes(show) if o["diff"]]


RunnerFor = Callable[[Instance, list[str]], TerraformRunner]


def plan_one(make_runner: RunnerFor, inst: Instance, extra_args: tuple[str, ...] = ()) -> PlanDrift:
    lines: list[str] = []
    runner = make_runner(inst, lines)
    planfile = f"{file_stem(inst.stack, inst.component)}.drift.planfile"
    args = ("-json", "-lock-timeout=0s", *extra_args)
    try:
        code, show = runner.plan_to(inst.component, inst.stack, planfile, args)
    except OpsbookError as exc:  # init, workspace, binary: Terraform could not even plan
        tail = _message(lines)
        return PlanDrift(inst, error=f"{exc}" + (f": {tail}" if tail else ""))
    if show is None:
        return PlanDrift(inst, error=f"terraform plan exited {code}: {_message(lines) or 'no output'}")
    return PlanDrift(inst, changes=drift_changes(show))


def plan_all(
    make_runner: RunnerFor, found: list[Instance], parallelism: int = 4, extra_args: tuple[str, ...] = ()
) -> list[PlanDrift]:
    results: dict[str, PlanDrift] = {}
    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="drift-plan") as pool:
        for level in waves(found):
            folders: dict[str, list[Instance]] = {}
            for inst in level:
                folders.setdefault(inst.folder, []).append(inst)

            def serial(group: list[Instance]) -> list[PlanDrift]:
                return [plan_one(make_runner, i, extra_args) for i in group]

            for group_results in pool.map(serial, folders.values()):
                for r in group_results:
                    results[r.instance.key] = r
    return [results[i.key] for i in found]
