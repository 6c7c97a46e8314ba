"""`opsbook apply PLAN --rollback`: undo what a plan's completed steps changed, newest first.

Only steps the journal holds as done, waiting (acted, not yet confirmed) or failed after acting are undone, each through its
item kind's `undo` with the detail its `act` journaled (e.g. the HPA's original min/max). An undone step is
journaled `undone` and audited; applying the plan again afterwards redoes it. A step whose kind has no undo
is reported `failed` (with the kind's `irreversible` reason, e.g. "EKS cannot downgrade a control plane")
and the rollback goes on with the older steps; a failing undo stops it.
An undo that returns `wait` (parameters for the step's own wait condition, e.g. the sizes it put back) is
waited for, with progress, before the older steps; a timeout there fails the step and stops the rollback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import WAITS, poll
from opsbook.store import plans as store_plans

if TYPE_CHECKING:
    from opsbook.procedures.apply import Applier, ApplyResult


def acted(entry: store_plans.JournalEntry) -> bool:
    """The step changed something: done, waiting, or failed after acting (its wait timed out)."""
    return entry.state in ("done", "waiting") or (entry.state == "failed" and bool(entry.detail.get("acted")))


def roll_back(
    applier: Applier, items: list[PlanItem], approve: Callable[[list[PlanItem]], None]
) -> ApplyResult:
    plan_hash = applier.plan.plan_hash
    journal = store_plans.journal(applier.store, plan_hash=plan_hash)
    todo = [i for i in reversed(items) if (e := journal.get(i.id)) is not None and acted(e)]
    applier.get_approval(approve, todo, "rollback ")
    for item in todo:
        applier.still_holding()
        kind = applier.kinds.get(item.kind)
        detail = journal[item.id].detail
        if kind.undo is None:
            why = kind.irreversible or f"item kind {item.kind} has no undo"
            applier.record(item, "failed", f"cannot roll back: {why}")
            continue
        if applier.options.dry_run:
            applier.record(item, "would-act", "would undo this step")
            continue
        try:
            undone = kind.undo(item, applier.clients(item), dict(detail)) or {}
        except Exception as exc:  # noqa: BLE001 - recorded; older steps stay as they are
            applier.record(item, "failed", f"undo failed: {type(exc).__name__}: {exc}")
            applier.result.stopped_at = item.id
            break
        store_plans.journal_finish(
            applier.store,
            plan_hash=plan_hash,
            item_id=item.id,
            state="undone",
            detail={**detail, "undo": undone},
        )
        why_not = wait_after_undo(applier, item, undone.get("wait"))
        if why_not:
            applier.record(item, "failed", f"rolled back {item.action}, but {why_not}")
            applier.result.stopped_at = item.id
            break
        applier.record(item, "undone", f"rolled back {item.action}", **undone)
    return applier.result


def wait_after_undo(applier: Applier, item: PlanItem, params: Any) -> str | None:
    """Wait for the step's condition with the undo's `params`; None when it holds (or nothing to wait for)."""
    if item.wait is None or not isinstance(params, dict):
        return None
    if item.wait.condition not in WAITS:
        return f"unknown wait condition {item.wait.condition!r}"
    report = applier.on_progress
    waited = poll(
        WAITS.get(item.wait.condition),
        item,
        applier.clients(item),
        deadline=time.time() + item.wait.timeout_s,
        interval=item.wait.interval_s,
        on_progress=(lambda text: report(item, text)) if report else None,
        params={**item.wait.params, **params},
    )
    if waited.ok:
        return None
    return waited.failure(item.wait.condition, item.wait.timeout_s)
