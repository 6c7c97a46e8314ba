"""Planner of `stack-set` (guide: Scaling Procedures / Scale Infrastructure Components): the guide's
`vim stacks/.../eks.yaml`, `atmos terraform plan|apply eks -s STACK` and the verify step, as one plan.

Read-only: it finds where each value is defined (providers/atmos/setvalue.py), makes the edit in a scratch
copy of the tree, re-resolves the component there (the new value must win and nothing else may change),
validates it against the component's JSON Schemas, and runs `terraform plan` there to show what would
change. The plan's steps: one `stack-manifest-edit` per file (gated on `atmos.stacks_valid`), then
`stack-terraform-apply` (re-plans at apply and applies only when Terraform would still do what this plan
showed; waits until the component resolves to the new values and Terraform reports no changes).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, OpsbookError, TargetFailed
from opsbook.core.models import Resource
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.providers.atmos import setvalue as sv
from opsbook.providers.atmos.estate import stack_account
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.atmos.validate import component_validation
from opsbook.providers.terraform.changes import changes, counts, sandbox_env, summary
from opsbook.providers.terraform.runner import TerraformRunner

GATE = ("atmos.stacks_valid",)


class StackSetParams(ProcedureParams):
    stack: str = Field(description="The Atmos stack, e.g. mycompany-dev-use1.")
    component: str = Field(description="The Terraform component in that stack, e.g. eks.")
    set: list[str] = Field(
        min_length=1,
        description="PATH=VALUE under vars/settings/env, e.g. vars.node_groups.application.desired_size=6.",
        json_schema_extra={"comma_list": False},
    )
    in_stack: bool = Field(
        False, description="Write the values into the stack's own manifest, not where they are defined now."
    )
    apply_timeout: int = Field(1800, ge=10, le=86400, description="Seconds to wait for the verify step.")


def configured_account(cfg: Config, stack: str, vars_: dict[str, Any]) -> tuple[str, str | None]:
    """The configured account the stack's Terraform acts in (account map, else vars.account_id); a
    protected account or one not configured is refused."""
    key = str(vars_.get("account_id") or "")
    if cfg.stacks is not None and cfg.stacks.account_map:
        key = stack_account(stack, vars_, cfg.stacks.account_map)
    for acct in cfg.accounts:
        if key and key in (acct.name, acct.id):
            if acct.protected:
                raise InputError(
                    f"stack '{stack}' is in account {acct.name}, which is protected (protected: true)"
                )
            return acct.name, acct.id
    raise InputError(
        f"stack '{stack}': its account ({key or 'no vars.account_id'}) is not in the configuration; "
        "add it to accounts: or stacks.account_map"
    )


def _edits(
    stacks: Stacks, params: StackSetParams, section: dict[str, Any]
) -> tuple[list[sv.FileEdit], list[sv.Setting]]:
    st = stacks.find(params.stack, f"terraform/{params.component}")
    chain = list(reversed(section.get("inheritance") or []))
    edits: dict[Path, sv.FileEdit] = {}
    settings = []
    base = stacks.config.base_path.resolve()
    for raw in params.set:
        dotted = raw.partition("=")[0].strip()
        current = sv.current_value(section, tuple(dotted.split(".")))
        setting = sv.parse_setting(raw, current)
        sv.check_type(setting, current)
        path, loc, found = sv.target_of(
            stacks, st, "terraform", params.component, chain, setting, params.in_stack
        )
        if not path.resolve().is_relative_to(base):
            raise InputError(f"{path}: outside the Atmos base path {base}; opsbook edits files under it only")
        if path not in edits:
            edits[path] = sv.FileEdit(
                path, path.resolve().relative_to(base).as_posix(), path.read_text("utf-8")
            )
        sv.edit_file(edits[path], loc, setting, found)
        settings.append(setting)
    return list(edits.values()), settings


def user_tree(cfg: Config) -> Stacks:
    """The configured Atmos tree, refused when it is opsbook's packaged sandbox tree (Terraform writes into
    the component folders at apply time, and the change belongs in the user's copy)."""
    stacks = Stacks.load(cfg.stacks.atmos_config if cfg.stacks else None)
    packaged = Path(__file__).resolve().parents[1] / "sandbox" / "stacks"
    if stacks.config.base_path.resolve() == packaged:
        raise InputError(
            f"{packaged} is opsbook's own sandbox tree (package data): copy it elsewhere and point "
            "stacks.atmos_config at the copy to change it"
        )
    return stacks


def scratch_stacks(stacks: Stacks, scratch: Path, edits: list[sv.FileEdit], procedure: str) -> Stacks:
    """A copy of the tree at `scratch` (the edits written) loaded as Stacks; Terraform may run there
    without touching the real tree. Refused when the copy could still reach the real tree."""
    base = stacks.config.base_path.resolve()
    if not stacks.config.path.resolve().is_relative_to(base):
        raise InputError(
            f"{stacks.config.path}: atmos.yaml is outside its base path {base}; {procedure} needs it inside"
        )
    sv.scratch_copy(base, scratch, edits)
    after = Stacks.load(scratch / stacks.config.path.resolve().relative_to(base))
    for name, used in (
        ("base path", after.config.base_path),
        ("terraform base", after.config.terraform_base),
    ):
        if not used.resolve().is_relative_to(
            scratch
        ):  # e.g. an absolute ATMOS_BASE_PATH: never the real tree
            raise InputError(
                f"the Atmos {name} {used} is absolute (ATMOS_* environment?); unset it for {procedure}"
            )
    return after


def _prove(
    cfg: Config, stacks: Stacks, params: StackSetParams, edits: list[sv.FileEdit], settings: list[sv.Setting],
    account: str, scratch: Path,
) -> list[dict[str, Any]]:  # fmt: skip
    """In a scratch copy: the values win, nothing else changes, the schemas accept it; Terraform's plan."""
    after = scratch_stacks(stacks, scratch, edits, "stack-set")
    old = stacks.component(params.component, params.stack)
    new = after.component(params.component, params.stack)
    for s in settings:
        got = sv.current_value(new, s.path)
        if got != s.value:
            raise InputError(
                f"--set {s.dotted}: after the edit it still resolves to {got!r} (something above wins)"
            )
    others = sv.others_changed(stacks, after, edits, (old["atmos_stack"], params.component))
    if others:
        raise InputError(
            f"the edit of {', '.join(e.rel for e in edits)} would also change {', '.join(others[:5])}"
            f"{' ...' if len(others) > 5 else ''}; use --in-stack to set it in this stack's own manifest"
        )
    where = ", ".join(str(e.path) for e in edits)
    was = {p.message for p in component_validation(stacks.config, old, where)}
    bad = [str(p) for p in component_validation(after.config, new, where) if p.message not in was]
    if bad:
        raise InputError(f"the component's JSON Schema refuses the new value: {bad[0]}")
    return scratch_plan(cfg, after, params.component, params.stack, account)


def scratch_plan(
    cfg: Config, scratch: Stacks, component: str, stack: str, account: str
) -> list[dict[str, Any]]:
    """`terraform plan` of the component in a scratch copy of the tree (`scratch`): its resource changes
    (providers/terraform/changes.py). A failing Terraform is one line (exit 3) with its last output."""
    lines: list[str] = []
    runner = TerraformRunner(scratch, sink=lines.append, extra_env=sandbox_env(cfg, account), color=False)
    try:
        runner.plan(component, stack)
        return changes(runner.show_plan(component, stack))
    except OpsbookError as exc:
        if exc.exit_code == 2:
            raise
        tail = "".join(lines[-3:]).strip().replace("\n", " | ")
        raise TargetFailed(
            f"terraform plan {component} -s {stack} (in a scratch copy) failed: {exc}; {tail}"
        ) from None


@dataclass(frozen=True)
class StackChange:
    """An edit of one component in one stack, proven in a scratch copy: the file edits, the values they set,
    what `terraform plan` showed, and where the stack's Terraform acts."""

    stack: str
    component: str
    edits: list[sv.FileEdit]
    settings: list[sv.Setting]
    tf_changes: list[dict[str, Any]]
    atmos_dir: str
    where: dict[str, Any]  # account, account_id, region: the plan items' fields

    def edit_items(
        self, kind: str = "stack-manifest-edit", first: int = 1, extra: dict[str, Any] | None = None
    ) -> list[PlanItem]:
        """One manifest-edit step per file (ids from `first`); `extra` adds params."""
        return [
            PlanItem(
                id=f"{n:03d}",
                kind=kind,
                action="edit-manifest",
                resource=Resource(id=e.rel, type="Atmos::Manifest", name=e.rel),
                reason="; ".join(e.lines),
                evidence={"display": e.diff().splitlines()},
                params={
                    "file": str(e.path.resolve()),
                    "old_sha256": e.old_sha256,
                    "new_sha256": e.new_sha256,
                    "old_text": e.old,
                    "new_text": e.new,
                    **(extra or {}),
                },
                gate=list(GATE),
                **self.where,
            )
            for n, e in enumerate(self.edits, start=first)
        ]

    def apply_item(self, n: int, kind: str = "stack-terraform-apply", *, extra: dict[str, Any] | None = None,
                   note: str = "", **fields: Any) -> PlanItem:  # fmt: skip
        """The `terraform apply` step (id `n`): re-plans at apply and applies only the changes shown here;
        `note` ends its reason."""
        shown = summary(self.tf_changes)
        return PlanItem(
            id=f"{n:03d}",
            kind=kind,
            action="terraform-apply",
            resource=Resource(
                id=f"{self.stack}/{self.component}",
                type="Atmos::Component",
                name=f"{self.component} in {self.stack}",
            ),
            reason=f"terraform apply {self.component} -s {self.stack}: {counts(self.tf_changes)}{note}",
            evidence={
                "display": [f"terraform plan {self.component} -s {self.stack}:", *(f"  {s}" for s in shown)]
            },
            params={
                "atmos_dir": self.atmos_dir,
                "stack": self.stack,
                "component": self.component,
                "changes": self.tf_changes,
                "files": [
                    {"file": str(e.path.resolve()), "new_sha256": e.new_sha256, "old_text": e.old}
                    for e in self.edits
                ],
                "values": {s.dotted: s.value for s in self.settings},
                **(extra or {}),
            },
            **self.where,
            **fields,
        )


def prove_change(cfg: Config, params: StackSetParams, stacks: Stacks | None = None) -> StackChange:
    """Read-only: where each value goes, the edit made and checked in a scratch copy, Terraform's plan there."""
    stacks = stacks or user_tree(cfg)
    section = stacks.component(params.component, params.stack)
    stack = section["atmos_stack"]
    TerraformRunner(stacks).check_runnable(section, params.component, stack, "apply")
    vars_ = section.get("vars") or {}
    account, account_id = configured_account(cfg, stack, vars_)
    edits, settings = _edits(stacks, params, section)
    with tempfile.TemporaryDirectory(prefix="opsbook-stack-set-") as tmp:
        tf_changes = _prove(cfg, stacks, params, edits, settings, account, Path(tmp) / "tree")
    where = {"account": account, "account_id": account_id, "region": str(vars_.get("region") or "")}
    atmos_dir = str(stacks.config.path.resolve().parent)
    return StackChange(stack, params.component, edits, settings, tf_changes, atmos_dir, where)


@procedure(
    "stack-set",
    title="Change a value in an Atmos stack where it is defined, then terraform plan/apply and verify",
    section="Scaling Procedures / Scale Infrastructure Components",
    kinds=("stack-manifest-edit", "stack-terraform-apply"),
    params=StackSetParams,
    examples=(
        "opsbook plan stack-set --stack mycompany-dev-use1 --component eks "
        "--set vars.node_groups.application.desired_size=6 --in-stack -o plan.json",
    ),
    targets=(),  # --stack names where
)
def plan_stack_set(cfg: Config, params: StackSetParams, request: PlanRequest) -> Plan:
    change = prove_change(cfg, params)
    items = change.edit_items()
    wait = Wait(condition="stack-value-applied", timeout_s=params.apply_timeout, interval_s=2)
    items.append(change.apply_item(len(items) + 1, depends_on=[i.id for i in items], wait=wait))
    region = change.where["region"]
    warnings = [] if change.tf_changes else [
        f"terraform plan shows no changes for {params.component} in {change.stack}"
    ]  # fmt: skip
    return new_plan(
        "stack-set", items, ttl=request.ttl, ordered=True, warnings=warnings,
        accounts=[change.where["account"]], regions=[region] if region else [],
        parameters=params.model_dump(mode="json") | {"atmos_dir": change.atmos_dir},
    )  # fmt: skip
