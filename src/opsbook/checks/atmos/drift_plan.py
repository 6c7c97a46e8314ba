"""Friday: plan-based drift (the guide's `atmos workflow drift-detection`): every resource change
`terraform plan` shows for a component instance is drift. Ignored drift (core/drift.py) is SKIPPED with
its reason; a plan that could not run is ERROR, never "no drift"."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.collect.atmos.plan_drift import CHECK_ID, InstanceDrift, PlanDriftSettings
from opsbook.core.checks import CheckContext, check
from opsbook.core.drift import Ignore, apply_ignores
from opsbook.core.models import Finding, Resource, Severity, Status, TargetKind


def _shown(attributes: dict[str, list[object]]) -> str:
    parts = [f"{k} {v[0]!r} -> {v[1]!r}" for k, v in list(attributes.items())[:4]]
    more = f" (+{len(attributes) - 4} more)" if len(attributes) > 4 else ""
    return ", ".join(parts) + more


@check(
    id=CHECK_ID,
    title="Terraform plan shows no changes (plan-based drift)",
    section="Weekly Tasks / Friday: Infrastructure Drift Detection",
    cadence=("weekly:friday",),
    severity=Severity.MEDIUM,
    needs=("terraform.plan_drift", "drift.ignores"),
    remediation="review it (opsbook drift report); accept it with `opsbook plan reconcile --stack S "
    "--component C --accept` (the guide's `terraform refresh`) or correct it with `--correct` (the "
    "guide's `atmos terraform apply`), or ignore it for a while with `opsbook drift ignore`",
    target_kind=TargetKind.ATMOS,
    settings=PlanDriftSettings,
)
def terraform_plan_drift(ctx: CheckContext) -> Iterable[Finding]:
    found: list[InstanceDrift] = ctx["terraform.plan_drift"]
    ignores: list[Ignore] = ctx["drift.ignores"]
    for inst in found:
        where = {"stack": inst.stack, "component": inst.component, "file": inst.file}
        instance = Resource(id=f"{inst.stack}/{inst.component}", type="Atmos::Component",
                            name=f"{inst.component} in {inst.stack}")  # fmt: skip
        if inst.error is not None:
            yield ctx.finding(Status.ERROR, f"terraform plan {inst.component} -s {inst.stack} failed: "
                              f"{inst.error}", instance, None, **where)  # fmt: skip
            continue
        if not inst.changes:
            yield ctx.passed(f"{inst.component} in {inst.stack}: no changes", instance, **where)
            continue
        for change in inst.changes:
            address, action = change["address"], "/".join(change["actions"])
            left, used = apply_ignores(ignores, ctx.now, inst.stack, address, change["diff"])
            resource = Resource(id=f"{inst.stack}/{inst.component}/{address}", type="Terraform::Resource",
                                name=address)  # fmt: skip
            details = where | {"address": address, "action": action, "attributes": left}
            if change.get("reason"):
                details["reason"] = change["reason"]
            if used:
                details["ignored"] = [{"until": i.until.isoformat(), "reason": i.reason,
                                       "attribute": i.attribute} for i in used]  # fmt: skip
            if used and not left:
                why = "; ".join(f"{i.reason} (until {i.until})" for i in used)
                yield ctx.skipped(f"{address} in {inst.stack}: drift ignored: {why}", resource, **details)
                continue
            because = f" ({change['reason']})" if change.get("reason") else ""
            shown = f": {_shown(left)}" if left else ""
            yield ctx.failed(f"{action} {address} in {inst.stack} ({inst.component}){because}{shown}",
                             resource, None, **details)  # fmt: skip
