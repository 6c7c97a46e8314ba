"""Item kinds of `stack-set` (guide: Scaling Procedures / Scale Infrastructure Components):

- `stack-manifest-edit`: write the planned content of one stack manifest. Re-check by SHA-256: the
  planned new content is `done`, the content the plan saw is `eligible`, anything else `changed` (someone
  edited the file since: make a new plan). Written atomically (a temporary file in the same folder,
  renamed over it). Undo writes the old content back (refused when the file changed again since).
- `stack-terraform-apply`: `terraform plan` of the component in the real tree, and `terraform apply` of
  that saved plan only when Terraform would still make the changes the plan file showed (else the step
  fails and nothing is applied: the state moved since the plan; roll back or plan again). Re-check: `done`
  when the manifests are edited and Terraform reports no changes. Undo puts the old manifests back and
  plans and applies again.
- wait `stack-value-applied` (the guide's "verify"): the component, resolved afresh, has the new values,
  and Terraform reports no changes (its state holds what the manifests say).

Terraform runs with the caller's environment plus `clients("terraform-env")` (the sandbox's S3 endpoint
when opsbook is configured for the sandbox).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import wait_condition
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.terraform.changes import changes, summary
from opsbook.providers.terraform.runner import TerraformRunner


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _current(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def write_atomic(path: str, text: str) -> None:
    """Replace the file's content in one rename: a reader sees the old or the new file, never half."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _restore(path: str, old: str, new_sha: str) -> bool:
    """Put the old content back if the file holds the planned new one; True when it wrote."""
    now = _current(path)
    if now is not None and _sha(now) == _sha(old):
        return False
    if now is None or _sha(now) != new_sha:
        raise RuntimeError(f"{path} changed after the apply; not overwritten (restore it by hand)")
    write_atomic(path, old)
    return True


# -- the manifest edit ---------------------------------------------------------------------------------


def recheck_edit(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    now = _current(p["file"])
    if now is None:
        return Live("changed", f"{p['file']} no longer exists")
    sha = _sha(now)
    if sha == p["new_sha256"]:
        return Live("done", f"{item.resource.id} already has the planned content")
    if sha == p["old_sha256"]:
        return Live("eligible", f"{item.resource.id} is as the plan saw it")
    return Live("changed", f"{item.resource.id} changed since the plan ({sha[:19]}...); make a new plan")


def edit(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    now = _current(p["file"])
    if now is None or _sha(now) != p["old_sha256"]:
        raise RuntimeError(f"{item.resource.id} changed just now; not written")
    write_atomic(p["file"], p["new_text"])
    return {"sha256": p["new_sha256"]}


def unedit(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    p = item.params
    wrote = _restore(p["file"], p["old_text"], p["new_sha256"])
    return {"restored": wrote, "sha256": p["old_sha256"]}


item_kind(
    "stack-manifest-edit",
    action="edit-manifest",
    permissions=("write the stack manifest",),
    recheck=recheck_edit,
    act=edit,
    undo=unedit,
)


# -- terraform plan + apply ----------------------------------------------------------------------------


def item_runner(item: PlanItem, clients: Clients, lines: list[str]) -> TerraformRunner:
    env = dict(clients("terraform-env") or {})
    return TerraformRunner(
        Stacks.load(item.params["atmos_dir"]), sink=lines.append, extra_env=env, color=False
    )


def _edited(item: PlanItem) -> bool:
    return all(_sha(_current(f["file"]) or "") == f["new_sha256"] for f in item.params["files"])


def recheck_apply(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    if not _edited(item):
        return Live("eligible", f"terraform apply {p['component']} -s {p['stack']} after the manifest edit")
    if item_runner(item, clients, []).in_sync(p["component"], p["stack"]):
        return Live("done", "the manifests are edited and Terraform reports no changes")
    return Live("eligible", f"terraform apply {p['component']} -s {p['stack']}")


def apply_if_unchanged(
    item: PlanItem,
    clients: Clients,
    extra_args: tuple[str, ...] = (),
    read: Callable[[dict[str, Any]], list[dict[str, Any]]] = changes,
) -> list[dict[str, Any]]:
    """Plan in the real tree (`extra_args`, e.g. -refresh-only) and apply that saved plan only when what
    `read` finds in it equals the approved `changes`; returns them."""
    p = item.params
    runner = item_runner(item, clients, [])
    runner.plan(p["component"], p["stack"], extra_args)
    found = read(runner.show_plan(p["component"], p["stack"]))
    if found != p["changes"]:
        now = "; ".join(summary(found)[:3])
        raise RuntimeError(
            f"Terraform would now do something else than the plan showed ({now}); "
            "nothing applied: the state, the live values or the code moved since the plan; make a new plan"
        )
    runner.apply(p["component"], p["stack"])
    return found


def apply_component(item: PlanItem, clients: Clients) -> dict[str, Any]:
    return {"applied": summary(apply_if_unchanged(item, clients))}


def unapply_component(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    p = item.params
    restored = [f["file"] for f in p["files"] if _restore(f["file"], f["old_text"], f["new_sha256"])]
    runner = item_runner(item, clients, [])
    if runner.plan(p["component"], p["stack"]).changes:
        runner.apply(p["component"], p["stack"])
    return {"restored": restored}


item_kind(
    "stack-terraform-apply",
    action="terraform-apply",
    permissions=("terraform plan/apply of the component (its own providers' permissions)",),
    recheck=recheck_apply,
    act=apply_component,
    undo=unapply_component,
)


def value_applied(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    p = item.params
    section = Stacks.load(p["atmos_dir"]).component(p["component"], p["stack"])
    for dotted, want in p["values"].items():
        node: Any = section
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node != want:
            return False, f"{dotted} resolves to {node!r}, not {want!r}"
    resolved = f"{', '.join(p['values'])} resolved as set; " if p["values"] else ""
    if not item_runner(item, clients, []).in_sync(p["component"], p["stack"]):
        return False, f"{resolved}Terraform still reports changes"
    return True, f"{resolved}Terraform reports no changes"


wait_condition(
    "stack-value-applied",
    value_applied,
    description="the component resolves to the new values and `terraform plan` shows no changes",
)
