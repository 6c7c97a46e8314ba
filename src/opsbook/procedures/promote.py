"""Item kind of `promote` (guide: Upgrade Procedures / Upgrade Terraform Components): `terraform apply` of
a component whose code the user changed, in one stack.

- `promote-terraform-apply`: the same plan-compare-apply as stack-set's `stack-terraform-apply`
  (procedures/stack_edit.py: re-plan in the real tree at apply time, apply only when Terraform would make
  exactly the changes the approved plan showed), with one re-check more: the component's code must be the
  code the plan was made from (`code_sha256` over its files). Code edited since is `changed`: that is
  another promotion, make a new plan. Re-check `done` when Terraform reports no changes.
- No undo: the plan holds the new code's effect, not the previous code, and Terraform cannot go back
  without it. To go back, restore the previous code (e.g. `git revert`) and promote that.

It waits for stack-edit's `stack-value-applied` (no values to resolve: Terraform reports no changes).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.stack_edit import apply_component, recheck_apply

GENERATED = (".terraform.tfvars.json", ".planfile", ".tmp")  # what Atmos/opsbook write beside the code
GENERATED_NAMES = ("backend.tf.json", ".terraform.lock.hcl")  # `terraform init` may write the lock file


def code_sha256(folder: Path) -> str:
    """SHA-256 over the component folder's own files (names and content; not `.terraform/`, varfiles,
    saved plans, the generated backend file or the lock file `terraform init` writes), so any edit of its
    code changes it."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if rel.parts[0] == ".terraform" or path.name.endswith(GENERATED) or path.name in GENERATED_NAMES:
            continue
        h.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + h.hexdigest()


def recheck_promote(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    folder = Path(p["code_dir"])
    if not folder.is_dir():
        return Live("changed", f"the component folder {folder} is gone; make a new plan")
    now = code_sha256(folder)
    if now != p["code_sha256"]:
        return Live(
            "changed",
            f"the code in {folder} changed since the plan ({now[:19]}..., planned {p['code_sha256'][:19]}...): "
            "that is another promotion; make a new plan",
        )
    return recheck_apply(item, clients)


item_kind(
    "promote-terraform-apply",
    action="terraform-apply",
    permissions=("terraform plan/apply of the component (its own providers' permissions)",),
    recheck=recheck_promote,
    act=apply_component,
    irreversible="the plan does not keep the previous code; to go back, restore it (e.g. git revert) and "
    "promote that",
)
