"""What an apply tells people (through `opsbook.notify.publish`): a plan that stopped for approval, and a
plan whose step failed (or whose health gate turned red). A notification never changes the apply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from opsbook.core.events import Event, EventKind, EventSeverity
from opsbook.notify import publish
from opsbook.procedures.plan import PlanItem

if TYPE_CHECKING:
    from opsbook.procedures.apply import Applier

SHOWN = 10


def target_of(item: PlanItem) -> str:
    if item.cluster:
        return f"k8s:{item.cluster}"
    return f"aws:{item.account}/{item.region}" if item.account else "*"


def approval_needed(applier: Applier, items: Sequence[PlanItem], reason: str, *, step: str = "") -> None:
    """The apply stopped because nobody approved `items` (the plan, or one step that asks on its own).
    Sent once per plan (and step) while it waits: re-running the apply without approval does not repeat it."""
    if not applier.cfg.notifications.routes:
        return
    plan = applier.plan
    what = f"step {step} of plan" if step else "plan"
    lines = [f"- {i.id} {i.action} {i.resource.id} ({target_of(i)})" for i in items[:SHOWN]]
    if len(items) > SHOWN:
        lines.append(f"- ... and {len(items) - SHOWN} more")
    body = "\n".join([f"plan {plan.plan_hash[:19]} by {plan.created_by}: {reason}", *lines])
    publish(applier.cfg, Event(
        kind=EventKind.PLAN_APPROVAL_NEEDED,
        title=f"{what} {plan.procedure} is waiting for approval ({len(items)} step(s))",
        body=body,
        severity=EventSeverity.MEDIUM,
        targets=tuple(sorted({target_of(i) for i in items})),
        dedupe_key=f"approval:{plan.plan_hash[:60]}:{step or '*'}",
        ref=plan.plan_hash,
    ), store=applier.store)  # fmt: skip


def plan_failed(applier: Applier) -> None:
    """The apply ended with a failed step or a red gate (or was rolled back): one PLAN_FAILED event."""
    if not applier.cfg.notifications.routes:
        return
    plan, result = applier.plan, applier.result
    failed = [o for o in result.outcomes if o.result in ("failed", "gate-red")]
    where = f" at step {result.stopped_at}" if result.stopped_at else ""
    rolled = ", rolled back" if result.rolled_back else ""
    lines = [f"- {o.item_id} {o.action} {o.resource}: {o.result}: {o.reason}" for o in failed[:SHOWN]]
    items = {i.id: i for i in plan.items}
    publish(applier.cfg, Event(
        kind=EventKind.PLAN_FAILED,
        title=f"plan {plan.procedure} failed{where}{rolled}",
        body="\n".join([f"plan {plan.plan_hash[:19]}, apply {result.apply_id}", *lines]),
        severity=EventSeverity.HIGH,
        targets=tuple(sorted({target_of(items[o.item_id]) for o in failed if o.item_id in items})),
        ref=plan.plan_hash,
    ), store=applier.store)  # fmt: skip
