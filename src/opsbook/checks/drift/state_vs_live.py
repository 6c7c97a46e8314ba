"""Friday: Terraform state against the live estate, without running Terraform (driftctl's idea).

Each state instance of a type the drift table (drift_table.yaml) knows is found live by its key and its
attributes compared as the table says; one finding per instance: in sync (PASS), drifted (the attributes,
state -> live) or gone live. Where CloudTrail has a write event naming the resource, the finding says who
changed it and when."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opsbook.checks.drift.compare import differences, last_change, live_index, render
from opsbook.collect.aws.drift_live import TRAIL_EVENTS, StateVsLiveSettings
from opsbook.collect.aws.drift_models import StateResource, TerraformStates
from opsbook.collect.aws.drift_table import Entry, builtin_table
from opsbook.collect.aws.tfstate import STATE_IGNORES, TF_STATES
from opsbook.core.checks import CheckContext, check
from opsbook.core.drift import apply_ignores
from opsbook.core.models import Finding, Resource, Severity, Status

LIVE_KEYS = tuple(sorted({e.live for e in builtin_table().values()}))


def where(r: StateResource) -> dict[str, Any]:
    """The seam's details keys of a drift finding (docs/drift.md)."""
    return {
        "address": r.address,
        "stack": r.stack,
        "component": r.component,
        "file": r.file,
        "state": r.state,
    }


def managed_here(
    states: TerraformStates, region: str | None, selection: StateVsLiveSettings
) -> Iterable[tuple[StateResource, Entry]]:
    """The managed instances of the known types in `region`, of the selected stacks and components."""
    table = builtin_table()
    for r in states.resources:
        if (
            r.mode == "managed"
            and r.type in table
            and r.region == region
            and selection.selects(r.stack, r.component)
        ):
            yield r, table[r.type]


@check(
    id="drift.state_vs_live",
    title="Terraform state matches the live resources",
    section="Weekly Tasks / Friday: Infrastructure Drift Detection",
    cadence=("weekly:friday",),
    severity=Severity.MEDIUM,
    needs=(TF_STATES, STATE_IGNORES, TRAIL_EVENTS, *LIVE_KEYS),
    remediation=(
        "review the change; accept it (`terraform refresh`) or correct it "
        "(`atmos terraform apply <component> -s <stack>`)"
    ),
    settings=StateVsLiveSettings,
)
def state_vs_live(ctx: CheckContext) -> Iterable[Finding]:
    states: TerraformStates = ctx[TF_STATES]
    if not states.configured:
        yield ctx.skipped("no Atmos stacks configured (stacks.atmos_config): no backend says where state is")
        return
    for problem in states.problems:
        yield ctx.finding(
            Status.ERROR, problem, Resource(id=problem.split(": ", 1)[0], type="Terraform::State")
        )
    events = ctx[TRAIL_EVENTS]
    indexes: dict[str, dict[str, dict[str, Any]]] = {}
    for r, entry in managed_here(states, ctx.target.region, ctx.settings):
        key = render(entry.state_key, r.attributes)
        if key is None:
            yield ctx.finding(
                Status.ERROR, f"{r.address}: state lacks {entry.state_key}", None, None, **where(r)
            )
            continue
        resource = Resource(id=key, type=r.type, name=r.address)
        if ctx[entry.live] is None:  # not read: never "gone"
            yield ctx.skipped(f"{r.address}: {entry.live} was not read", resource, **where(r))
            continue
        if r.type not in indexes:  # one index per type, not one per instance
            indexes[r.type] = live_index(entry, ctx[entry.live])
        index = indexes[r.type]
        item = index.get(key)
        changed = differences(entry, r.attributes, item) if item is not None else {}
        if item is not None and not changed:
            yield ctx.passed(f"{r.address} ({key}) matches its state", resource, **where(r))
            continue
        changed, used = apply_ignores(ctx[STATE_IGNORES], ctx.now, r.stack, r.address, changed)
        if used and not changed:  # `opsbook drift ignore ADDRESS --stack S` (docs/drift.md)
            why = "; ".join(f"{i.reason} (until {i.until})" for i in used)
            ignored = [
                {"until": i.until.isoformat(), "reason": i.reason, "attribute": i.attribute} for i in used
            ]
            yield ctx.skipped(
                f"{r.address} in {r.stack}: drift ignored: {why}", resource, **where(r), ignored=ignored
            )
            continue
        names = {n for t in entry.trail if (n := render(t, r.attributes))} | {key}
        event = last_change(events, names)
        who = (
            {"changed_by": event.user, "changed_at": event.time.isoformat(), "event": event.name}
            if event
            else {}
        )
        by = (
            f"; last changed by {event.user} at {event.time:%Y-%m-%d %H:%M} UTC ({event.name})"
            if event
            else ""
        )
        if item is None:
            yield ctx.failed(
                f"{r.address} ({key}) is in Terraform state but gone live{by}",
                resource,
                None,
                **where(r),
                **who,
            )
            continue
        said = ", ".join(f"{a}: {was!r} -> {now!r}" for a, (was, now) in changed.items())
        yield ctx.failed(
            f"{r.address} ({key}) drifted from its state: {said}{by}",
            resource,
            None,
            **where(r),
            attributes=changed,
            **who,
        )
