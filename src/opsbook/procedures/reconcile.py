"""Item kind of `reconcile` (guide: Friday: Infrastructure Drift Detection, "Reconcile drift"):

- `reconcile-terraform-apply`: `mode` accept = `terraform plan -refresh-only` saved and applied (the
  guide's `terraform refresh`: the state records what is live); correct = a normal saved plan applied
  over the drift (the guide's `atmos terraform apply`). At apply it plans again in the real tree and
  applies only when Terraform would make exactly the changes the approved plan showed (else the step
  fails and nothing is applied: the drift moved since the plan). Re-check `done` when the same plan
  shows nothing to change.
- wait `reconcile-clean`: the same plan (refresh-only for accept) shows no changes.
- No undo: Terraform changed the infrastructure or its state; the state bucket's versioning keeps the
  state version before it (`opsbook plan restore-tfstate` brings a state version back).
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.stack_edit import apply_if_unchanged, item_runner
from opsbook.procedures.steps import wait_condition
from opsbook.providers.terraform.changes import summary
from opsbook.providers.terraform.drift import drift_changes
from opsbook.providers.terraform.files import file_stem

REFRESH_ONLY = ("-refresh-only",)


def _args(item: PlanItem) -> list[str]:
    return list(REFRESH_ONLY) if item.params["mode"] == "accept" else []


def current_changes(item: PlanItem, clients: Clients) -> list[dict[str, Any]]:
    """What the item's plan would change now (a planfile of its own, removed afterwards)."""
    p = item.params
    lines: list[str] = []
    planfile = f"{file_stem(p['stack'], p['component'])}.reconcile-check.planfile"
    code, show = item_runner(item, clients, lines).plan_to(p["component"], p["stack"], planfile, _args(item))
    if show is None:
        tail = " | ".join(ln.strip() for ln in lines[-3:] if ln.strip())
        raise RuntimeError(f"terraform plan {p['component']} -s {p['stack']} exited {code}: {tail}")
    return drift_changes(show, refresh_only=p["mode"] == "accept")


def recheck_reconcile(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    if not current_changes(item, clients):
        return Live("done", f"nothing to reconcile for {p['component']} in {p['stack']}")
    return Live("eligible", f"terraform apply ({p['mode']}) {p['component']} -s {p['stack']}")


def reconcile(item: PlanItem, clients: Clients) -> dict[str, Any]:
    accept = item.params["mode"] == "accept"
    found = apply_if_unchanged(item, clients, tuple(_args(item)), lambda show: drift_changes(show, accept))
    return {"applied": summary(found), "mode": item.params["mode"]}


item_kind(
    "reconcile-terraform-apply",
    action="terraform-apply",
    permissions=("terraform plan/apply of the component (its own providers' permissions)",),
    recheck=recheck_reconcile,
    act=reconcile,
    irreversible="Terraform changed the infrastructure (--correct) or its state (--accept); the state "
    "bucket's versioning keeps the earlier state version (opsbook plan restore-tfstate)",
)


def clean(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    left = current_changes(item, clients)
    if left:
        return False, f"terraform plan still shows {len(left)} change(s): {summary(left)[0]}"
    return True, "terraform plan shows nothing to reconcile"


wait_condition(
    "reconcile-clean",
    clean,
    description="the reconcile plan (refresh-only for --accept) shows no changes",
)
