"""Planner of `reconcile` (guide: Friday: Infrastructure Drift Detection, "Reconcile drift"): drift that is
acceptable is recorded (`--accept`: a refresh-only plan, the guide's `terraform refresh`), drift that is
not is corrected (`--correct`: the configuration applied over it, the guide's `atmos terraform apply`).

Read-only: the tree is copied to a scratch folder and Terraform plans there against the real state
(stack_set.scratch_stacks), so the plan shows exactly what the apply would do. One step,
`reconcile-terraform-apply` (procedures/reconcile.py: re-planned at apply, applied only if unchanged),
waiting until the plan shows nothing left and gated on the stack's account like `promote`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, TargetFailed
from opsbook.engine.promote import component_gate
from opsbook.engine.stack_set import StackChange, configured_account, scratch_stacks, user_tree
from opsbook.procedures.plan import Plan, Wait, new_plan
from opsbook.procedures.reconcile import REFRESH_ONLY
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.providers.atmos.resolver import Stacks, component_dir
from opsbook.providers.terraform.changes import sandbox_env
from opsbook.providers.terraform.drift import drift_changes
from opsbook.providers.terraform.files import file_stem
from opsbook.providers.terraform.runner import TerraformRunner


class ReconcileParams(ProcedureParams):
    stack: str = Field(description="The Atmos stack, e.g. mycompany-dev-use1.")
    component: str = Field(description="The Terraform component in that stack, e.g. rds.")
    accept: bool = Field(False, description="The drift is acceptable: record the live values in the state "
                         "(a refresh-only plan and apply, the guide's `terraform refresh`).")  # fmt: skip
    correct: bool = Field(False, description="Correct the drift: apply the configuration over it (the "
                          "guide's `atmos terraform apply`).")  # fmt: skip
    gate: list[str] = Field(default_factory=list, description="Check ids gating the stack's account "
                            "(default: as promote's, e.g. cloudwatch.alarms_in_alarm).")  # fmt: skip
    apply_timeout: int = Field(600, ge=10, le=86400, description="Seconds to wait for the plan to be clean.")


def scratch_changes(
    cfg: Config, scratch: Stacks, params: ReconcileParams, account: str
) -> list[dict[str, Any]]:
    lines: list[str] = []
    runner = TerraformRunner(scratch, sink=lines.append, extra_env=sandbox_env(cfg, account), color=False)
    planfile = f"{file_stem(params.stack, params.component)}.reconcile.planfile"
    args = list(REFRESH_ONLY) if params.accept else []
    code, show = runner.plan_to(params.component, params.stack, planfile, args)
    if show is None:
        tail = " | ".join(ln.strip() for ln in lines[-3:] if ln.strip())
        raise TargetFailed(f"terraform plan {params.component} -s {params.stack} (in a scratch copy) "
                           f"exited {code}: {tail}")  # fmt: skip
    return drift_changes(show, refresh_only=params.accept)


@procedure(
    "reconcile",
    title="Reconcile a component's drift: accept it (refresh-only apply) or correct it (apply the "
    "configuration), as a saved Terraform plan re-checked at apply",
    section="Weekly Tasks / Friday: Infrastructure Drift Detection",
    kinds=("reconcile-terraform-apply",),
    params=ReconcileParams,
    examples=(
        "opsbook plan reconcile --stack mycompany-dev-use1 --component dns --accept -o plan.json",
        "opsbook plan reconcile --stack mycompany-dev-use1 --component rds --correct -o plan.json",
    ),
    targets=(),  # --stack names where
)
def plan_reconcile(cfg: Config, params: ReconcileParams, request: PlanRequest) -> Plan:
    if params.accept == params.correct:
        raise InputError("give exactly one of --accept (record the live values, the guide's `terraform "
                         "refresh`) or --correct (apply the configuration over the drift)")  # fmt: skip
    mode = "accept" if params.accept else "correct"
    stacks = user_tree(cfg)
    section = stacks.component(params.component, params.stack)
    stack = section["atmos_stack"]
    params = params.model_copy(update={"stack": stack})
    TerraformRunner(stacks).check_runnable(section, params.component, stack, "apply")
    vars_ = section.get("vars") or {}
    account, account_id = configured_account(cfg, stack, vars_)
    gate = component_gate(params.gate, component_dir(section).name)
    with tempfile.TemporaryDirectory(prefix="opsbook-reconcile-") as tmp:
        found = scratch_changes(
            cfg, scratch_stacks(stacks, Path(tmp) / "tree", [], "reconcile"), params, account
        )
    parameters = params.model_dump(mode="json") | {"mode": mode}
    if not found:
        return new_plan("reconcile", [], ttl=request.ttl, parameters=parameters,
                        warnings=[f"nothing to reconcile: terraform plan{' -refresh-only' if params.accept else ''} "
                                  f"shows no changes for {params.component} in {stack}"])  # fmt: skip
    where = {"account": account, "account_id": account_id, "region": str(vars_.get("region") or "")}
    atmos_dir = str(stacks.config.path.resolve().parent)
    change = StackChange(stack, params.component, [], [], found, atmos_dir, where)
    note = " (refresh-only: the state records the live values)" if params.accept else ""
    item = change.apply_item(
        1, "reconcile-terraform-apply", extra={"mode": mode}, note=note, gate=gate,
        wait=Wait(condition="reconcile-clean", timeout_s=params.apply_timeout, interval_s=2),
    )  # fmt: skip
    warnings = [
        "--accept records what is live in the state; where the configuration disagrees with it, `terraform "
        "plan` still shows changes (change the configuration, or --correct)"
    ] if params.accept else []  # fmt: skip
    return new_plan("reconcile", [item], ttl=request.ttl, warnings=warnings, accounts=[account],
                    regions=[where["region"]] if where["region"] else [], parameters=parameters)  # fmt: skip
