"""Undo what a plan's completed steps changed, newest first: `opsbook apply PLAN --rollback`, and the
automatic rollback of a plan made with `on_failure: "rollback"` when one of its steps fails.

Only steps the journal holds as done, waiting (acted, not yet confirmed), failed after acting, or undoing
(an undo whose wait was interrupted) are undone, each through its item kind's `undo` with the detail its
`act` journaled (e.g. the HPA's original min/max). An undone step is journaled `undoing` (with what the undo
returned) and, once the undo's wait holds, `undone`, and audited; applying the plan again afterwards redoes
it. A step whose kind `changes_nothing` (a smoke test, a verify) is journaled `undone` without an undo. A
step whose kind has no undo is reported `failed` ("no undo", with the kind's `irreversible` reason, e.g.
"EKS cannot downgrade a control plane") and the rollback goes on with the older steps; a failing undo stops it. An undo that returns `wait` (parameters for the step's own wait condition,
e.g. the sizes it put back) is waited for, with progress, before the older steps; a timeout there fails
the step and stops the rollback. An interrupted undo wait resumes without undoing again.

Automatic rollback (`Plan.on_failure == "rollback"`): when a step of an ordered plan fails or its gate
turns red, the same apply rolls back every step the journal holds as acted, without asking again (the
approved plan said it would). It is journaled as the `_auto-rollback` entry (`rolling-back`, then `done`)
and audited like `--rollback`. An apply that finds the entry `rolling-back` (killed mid-rollback, or an
undo that failed) continues the rollback; one that finds it `done` changes nothing and reports the failed,
rolled-back plan (exit 3): make a new plan to try again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import WAITS, poll
from opsbook.providers.k8s.errors import describe
from opsbook.store import plans as store_plans

if TYPE_CHECKING:
    from opsbook.procedures.apply import Applier, ApplyResult, Outcome

AUTO = "_auto-rollback"  # the journal entry of an automatic rollback: rolling-back | done


def acted(entry: store_plans.JournalEntry) -> bool:
    """The step changed something: done, waiting, undoing, or failed after acting (its wait timed out).
    A step that only waited for an effect already in place (`in_place`, a deferred wait) changed nothing."""
    if entry.detail.get("in_place"):
        return False
    return entry.state in ("done", "waiting", "undoing") or (
        entry.state == "failed" and bool(entry.detail.get("acted"))
    )


def roll_back(
    applier: Applier,
    items: Sequence[PlanItem],
    approve: Callable[[list[PlanItem]], None] | None,
    why: str = "",
) -> ApplyResult:
    """Undo `items`' acted steps, newest first; `approve` None: already approved (an automatic rollback);
    `why` starts each outcome's reason."""
    plan_hash = applier.plan.plan_hash
    journal = store_plans.journal(applier.store, plan_hash=plan_hash)
    todo = [i for i in reversed(items) if (e := journal.get(i.id)) is not None and acted(e)]
    if approve is not None:
        applier.get_approval(approve, todo, "rollback ")
    for item in todo:
        applier.still_holding()
        kind = applier.kinds.get(item.kind)
        entry = journal[item.id]
        if applier.options.dry_run and (kind.undo is not None or kind.changes_nothing):
            applier.record(item, "would-act", f"{why}would undo this step")
            continue
        if kind.changes_nothing:  # it only verified: nothing to put back; applying again re-runs it
            store_plans.journal_finish(
                applier.store, plan_hash=plan_hash, item_id=item.id, state="undone", detail=dict(entry.detail)
            )
            applier.record(item, "undone", f"{why}nothing to roll back: {item.action} changes nothing")
            continue
        if kind.undo is None:
            none = f"item kind {item.kind} has no undo" + (
                f": {kind.irreversible}" if kind.irreversible else ""
            )
            applier.record(item, "failed", f"{why}cannot roll back: {none}")
            continue
        detail = {k: v for k, v in entry.detail.items() if k != "undo"}
        if entry.state == "undoing":  # undone by an apply that stopped during the undo's wait
            undone = dict(entry.detail.get("undo") or {})
        else:
            try:
                undone = kind.undo(item, applier.clients(item), dict(detail)) or {}
            except Exception as exc:  # noqa: BLE001 - recorded; older steps stay as they are
                applier.record(item, "failed", f"{why}undo failed: {describe(exc)}")
                applier.result.stopped_at = item.id
                break
            applier.count_action()
            store_plans.journal_finish(
                applier.store,
                plan_hash=plan_hash,
                item_id=item.id,
                state="undoing",
                detail={**detail, "undo": undone},
            )
        waited, progress = wait_after_undo(applier, item, undone.get("wait"))
        what = f"{why}rolled back {item.action}" + (f": {undone['note']}" if undone.get("note") else "")
        if not waited:
            applier.record(item, "failed", f"{what}, but {progress}")
            applier.result.stopped_at = item.id
            break
        store_plans.journal_finish(
            applier.store,
            plan_hash=plan_hash,
            item_id=item.id,
            state="undone",
            detail={**detail, "undo": undone},
        )
        applier.record(item, "undone", what + (f"; {progress}" if progress else ""), **undone)
    return applier.result


def wait_after_undo(applier: Applier, item: PlanItem, params: Any) -> tuple[bool, str]:
    """Wait for the step's condition with the undo's `params`: (it holds, what the condition said last);
    (True, "") when there is nothing to wait for."""
    if item.wait is None or not isinstance(params, dict):
        return True, ""
    if item.wait.condition not in WAITS:
        return False, f"unknown wait condition {item.wait.condition!r}"
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
        return True, f"{item.wait.condition}: {waited.progress}"
    return False, waited.failure(item.wait.condition, item.wait.timeout_s)


def auto_roll_back(applier: Applier, last: Outcome) -> None:
    """The plan stopped at a failed step (or a red gate), `last` its outcome: roll back what it changed, in
    this apply."""
    failed = last.item_id
    reason = f"step {failed} {'turned its gate red' if last.result == 'gate-red' else 'failed'}"
    mark(applier, "rolling-back", failed, reason)
    applier.record(None, "auto-rollback", f"{reason}: rolling back automatically (on_failure: rollback)")
    finish(applier, failed, reason)


def continue_rolled_back(
    applier: Applier, entry: store_plans.JournalEntry, approve: Callable[[list[PlanItem]], None]
) -> ApplyResult:
    """An apply of a plan that failed and rolls back automatically: continue an unfinished rollback, or
    report the finished one without changing anything."""
    failed, reason = str(entry.detail.get("step", "?")), str(entry.detail.get("reason", "a step failed"))
    if entry.state == "done":
        applier.result.rolled_back = True
        applier.result.stopped_at = failed
        note = f"{reason} and apply {entry.apply_id} rolled the plan back automatically: make a new plan"
        applier.result.notes.append(note)
        for item in applier.plan.items:
            applier.record(item, "not-run", note)
        return applier.result
    applier.result.notes.append(f"continuing the automatic rollback after {reason}")
    if not applier.options.dry_run:
        journal = store_plans.journal(applier.store, plan_hash=applier.plan.plan_hash)
        todo = [i for i in reversed(applier.plan.items) if (e := journal.get(i.id)) and acted(e)]
        applier.get_approval(approve, todo, "rollback ")
    finish(applier, failed, reason, continued=True)
    return applier.result


def finish(applier: Applier, failed: str, reason: str, *, continued: bool = False) -> None:
    stopped = applier.result.stopped_at
    applier.result.stopped_at = None  # set again only by an undo that fails
    roll_back(applier, applier.plan.items, None, why="automatic rollback: ")
    if applier.options.dry_run:
        applier.result.stopped_at = stopped
        return
    if applier.result.stopped_at is None:
        mark(applier, "done", failed, reason)
        applier.result.rolled_back = True
        applier.result.notes.append(f"{reason}: the plan was rolled back automatically")
        applier.result.stopped_at = failed
    elif not continued:
        applier.result.notes.append(f"{reason}; the automatic rollback stopped: fix it and apply again")


def mark(applier: Applier, state: str, failed: str, reason: str) -> None:
    applier.journal_plan_entry(AUTO, "auto-rollback", state, {"step": failed, "reason": reason})
