"""Planner of `promote` (guide: Upgrade Procedures / Upgrade Terraform Components): the guide's
`vim components/terraform/<component>/versions.tf`, then `atmos terraform plan|apply <component>` in dev,
`./scripts/smoke-test.sh`, staging, and production "with approval", as one ordered plan.

The code change is the user's own edit of the component folder (already made when planning). Read-only:
the tree is copied to a scratch folder and `terraform plan` runs there for every stack (the real state;
stack_set.scratch_plan), so the plan shows what each stack would get. Per stack, in the given order:
`promote-terraform-apply` (stack_set.StackChange.apply_item with no edits; procedures/promote.py:
re-planned at apply, applied only if Terraform would make exactly these changes and the code is still the
planned code; waits until Terraform reports no changes), then the smoke test (procedures/smoke.py), then
a health gate on the stack's account. A prod stack's apply needs its own approval (`--approve-step`). No
undo: the previous code is not in the plan.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.engine.stack_set import StackChange, configured_account, scratch_plan, scratch_stacks, user_tree
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.promote import code_sha256
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.procedures.smoke import DEFAULT_TIMEOUT_S, parse_command, smoke_item
from opsbook.providers.atmos.resolver import Stacks, component_dir
from opsbook.providers.terraform.runner import TerraformRunner

# Promotion order by stage: a stack may follow one of the same or a lower rank. Unknown stages are not ordered.
STAGE_RANK = {"dev": 0, "development": 0, "qa": 1, "test": 1, "staging": 1, "stage": 1, "uat": 1,
              "prod": 2, "production": 2}  # fmt: skip
PROD_STAGES = ("prod", "production")
DEFAULT_GATE = ("cloudwatch.alarms_in_alarm",)  # any new alarm in the stack's account
COMPONENT_GATE = {  # by component folder: what the guide's estate deploys with it
    "eks": ("eks.cluster_not_active", "eks.nodegroup_unhealthy"),
    "rds": ("rds.instance_not_available",),
}
PLACEHOLDERS = ("stack", "stage", "account", "component")


class PromoteParams(ProcedureParams):
    component: str = Field(description="The Terraform component whose code changed, e.g. eks.")
    stacks: list[str] = Field(
        min_length=1,
        description="The stacks in promotion order, e.g. mycompany-dev-use1,mycompany-prod-use1.",
    )
    smoke_test: str | None = Field(
        None,
        description="Command run (no shell) after each stack's apply; exit 0 passes. "
        "{stack}, {stage}, {account}, {component} are replaced per stack.",
    )
    smoke_timeout: int = Field(int(DEFAULT_TIMEOUT_S), ge=1, le=86400, description="Seconds per smoke test.")
    approval_for: list[str] = Field(
        default_factory=list, description="Stacks whose apply needs its own approval (prod stages always do)."
    )
    any_order: bool = Field(False, description="Allow an order other than dev -> staging -> prod.")
    gate: list[str] = Field(
        default_factory=list,
        description="Check ids gating each stack's account (default: cloudwatch.alarms_in_alarm and the "
        "component's own, e.g. eks.cluster_not_active for eks).",
    )
    apply_timeout: int = Field(1800, ge=10, le=86400, description="Seconds to wait for Terraform to settle.")


def _section(stacks: Stacks, component: str, stack: str) -> dict[str, Any]:
    """The component's resolved section in `stack`; unknown stack/component, or a stack without it, refused."""
    stacks.find(stack)  # NotFound with close names
    try:
        return stacks.component(component, stack)
    except NotFound:
        users = sorted(
            name for name, group in stacks.stacks().items()
            if any(f"terraform/{component}" in s.raw_components for s in group)
        )  # fmt: skip
        if not users:
            raise
        raise InputError(
            f"stack '{stack}' does not use component '{component}' (the stacks that do: {', '.join(users)})"
        ) from None


def _check_order(stages: list[tuple[str, str]], any_order: bool) -> None:
    if any_order:
        return
    known = [(stack, stage) for stack, stage in stages if stage in STAGE_RANK]
    for (first, s1), (then, s2) in zip(known, known[1:], strict=False):
        if STAGE_RANK[s2] < STAGE_RANK[s1]:
            raise InputError(
                f"--stacks: {then} ({s2}) comes after {first} ({s1}); promote dev -> staging -> prod "
                "(or pass --any-order)"
            )


def component_gate(given: list[str], folder: str) -> list[str]:
    """`given` (--gate), else the default gate of a component folder; an unknown check id is refused."""
    from opsbook.core.checks import CHECKS
    from opsbook.engine.selection import load_builtin

    load_builtin()
    gate = list(given) or [*DEFAULT_GATE, *COMPONENT_GATE.get(folder, ())]
    if unknown := [c for c in gate if c not in CHECKS]:
        raise InputError(f"--gate: unknown check {', '.join(unknown)} (see `opsbook checks list`)")
    return gate


def _smoke(argv: list[str], values: dict[str, str]) -> list[str]:
    out = []
    for word in argv:
        for key in PLACEHOLDERS:
            word = word.replace("{" + key + "}", values[key])
        out.append(word)
    return out


@procedure(
    "promote",
    title="Promote a Terraform component's code change stack by stack (dev -> staging -> prod), "
    "smoke-tested and gated, prod approved on its own",
    section="Upgrade Procedures / Upgrade Terraform Components",
    kinds=("promote-terraform-apply", "smoke-test"),
    params=PromoteParams,
    reads=(*DEFAULT_GATE, *(c for gate in COMPONENT_GATE.values() for c in gate)),  # its default gates
    examples=(
        "opsbook plan promote --component vpc --stacks mycompany-dev-use1,mycompany-staging-use1,"
        "mycompany-prod-use1 --smoke-test './scripts/smoke-test.sh {stack}' -o plan.json",
    ),
    targets=(),  # --stacks names where
)
def plan_promote(cfg: Config, params: PromoteParams, request: PlanRequest) -> Plan:
    if dup := sorted({s for s in params.stacks if params.stacks.count(s) > 1}):
        raise InputError(f"--stacks: {', '.join(dup)} given more than once")
    if stray := [s for s in params.approval_for if s not in params.stacks]:
        raise InputError(f"--approval-for: {', '.join(stray)} is not one of --stacks")
    stacks = user_tree(cfg)
    sections = [_section(stacks, params.component, name) for name in params.stacks]
    folders = {component_dir(s).resolve() for s in sections}
    if len(folders) > 1:
        raise InputError(
            f"the stacks run different code for '{params.component}' ({', '.join(sorted(map(str, folders)))}): "
            "a promotion carries one folder's change"
        )
    folder = folders.pop()
    stages = [(s["atmos_stack"], str((s.get("vars") or {}).get("stage") or "")) for s in sections]
    _check_order(stages, params.any_order)
    runner = TerraformRunner(stacks)
    for section, (stack, _) in zip(sections, stages, strict=True):
        runner.check_runnable(section, params.component, stack, "apply")
    accounts = [
        configured_account(cfg, stack, s.get("vars") or {})
        for s, (stack, _) in zip(sections, stages, strict=True)
    ]
    gate = component_gate(params.gate, folder.name)
    argv = parse_command(params.smoke_test, cwd=Path.cwd()) if params.smoke_test is not None else None
    sha = code_sha256(folder)
    with tempfile.TemporaryDirectory(prefix="opsbook-promote-") as tmp:
        scratch = scratch_stacks(stacks, Path(tmp) / "tree", [], "promote")
        found = [
            scratch_plan(cfg, scratch, params.component, stack, account)
            for (stack, _), (account, _) in zip(stages, accounts, strict=True)
        ]
    if not any(found):
        return new_plan(
            "promote", [], ttl=request.ttl, ordered=True,
            warnings=[f"nothing to promote: terraform plan shows no changes for {params.component} in "
                      f"{', '.join(s for s, _ in stages)} (is the code change saved in {folder}?)"],
            parameters=params.model_dump(mode="json"),
        )  # fmt: skip
    atmos_dir = str(stacks.config.path.resolve().parent)
    items: list[PlanItem] = []
    warnings = [
        f"--rollback cannot undo a promotion: the plan does not keep the previous code of {folder}; to go "
        "back, restore that code (e.g. git revert) and promote it the same way"
    ]
    if argv is None:
        warnings.append("no --smoke-test: each stack is judged by Terraform and the health gate only")
    for n, (section, (stack, stage), (account, account_id), tf) in enumerate(
        zip(sections, stages, accounts, found, strict=True), start=1
    ):
        if not tf:
            warnings.append(
                f"no changes for {params.component} in {stack}: its apply step will find nothing to do"
            )
        where: dict[str, Any] = {"account": account, "account_id": account_id,
                                 "region": str((section.get("vars") or {}).get("region") or "")}  # fmt: skip
        approval = stage in PROD_STAGES or stack in params.approval_for
        apply = StackChange(stack, params.component, [], [], tf, atmos_dir, where).apply_item(
            n, "promote-terraform-apply", extra={"code_dir": str(folder), "code_sha256": sha},
            note=f" (needs its own approval: --approve-step {n:03d})" if approval else "", approval=approval,
            wait=Wait(condition="stack-value-applied", timeout_s=params.apply_timeout, interval_s=2),
            depends_on=[items[-1].id] if items else [], gate=[] if argv else gate,
        )  # fmt: skip
        items.append(apply)
        if argv is not None:
            values = {"stack": stack, "stage": stage, "account": account, "component": params.component}
            items.append(
                smoke_item(
                    _smoke(argv, values),
                    after=apply.id,
                    label=f"{params.component} in {stack}",
                    timeout_s=float(params.smoke_timeout),
                    gate=gate,
                    **where,
                )  # fmt: skip
            )
    return new_plan(
        "promote", items, ttl=request.ttl, ordered=True, warnings=warnings,
        accounts=sorted({a for a, _ in accounts}),
        regions=sorted({i.region for i in items if i.region}),
        parameters=params.model_dump(mode="json") | {"atmos_dir": atmos_dir, "code_sha256": sha},
    )  # fmt: skip
