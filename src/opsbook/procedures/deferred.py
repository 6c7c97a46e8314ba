"""Deferred waits (`ApplyOptions.defer_waits`): a step's wait checked once at a time by a durable scheduler
(the Temporal apply workflow) that sleeps between checks, instead of polled by the applying process.

The step acts and journals `waiting` with its deadline as in a local apply; its condition is checked once
right away. While it does not hold, the apply stops there and returns `ApplyResult.waiting` (step,
condition, deadline, the next check's time); the scheduler sleeps until then and calls `check`, which asks
the condition once and journals the verdict in the step's entry (`verdict`, `progress`, `checks`). Once a
verdict settles the wait (it holds, it can no longer hold, access denied, or the deadline passed), the
next apply finishes the step from the journal exactly as a local apply's wait would have: `done` with the
condition's last word, or `failed` with the same message (`timed out waiting for ...`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opsbook.procedures.kinds import Clients
from opsbook.procedures.plan import Plan, PlanItem
from opsbook.procedures.steps import ENDED, NOT_YET, OK, SETTLED, WAITS, WaitResult, check_by
from opsbook.store import plans as store_plans
from opsbook.store.db import Store

if TYPE_CHECKING:
    from opsbook.procedures.apply import Applier, ClientsFor

GONE = "gone"  # the step's entry is no longer waiting (finished elsewhere): nothing left to check


def waiting(
    item: PlanItem, detail: dict[str, Any], *, verdict: str, progress: str, now: float
) -> dict[str, Any]:
    """What a scheduler needs to check `item`'s wait again: when (`next_check`, never past the deadline)."""
    assert item.wait is not None
    deadline = float(detail.get("wait_deadline") or 0)
    return {
        "step": item.id,
        "condition": item.wait.condition,
        "verdict": verdict,
        "progress": progress,
        "deadline": deadline,
        "next_check": min(now + item.wait.interval_s, deadline),
        "checks": int(detail.get("checks", 0)),
    }


def settle_or_defer(
    applier: Applier,
    item: PlanItem,
    detail: dict[str, Any],
    reason: str,
    *,
    resumed: bool,
    first: bool = False,
) -> None:
    """Finish `item`'s wait from the verdict its last check journaled, or check once now: settled -> the
    step is done or failed as `Applier.finish_wait` would leave it; not yet -> journaled, and the apply
    stops with `applier.result.waiting` set."""
    assert item.wait is not None
    now = time.time()
    deadline = float(detail.get("wait_deadline") or 0)
    verdict, progress = str(detail.get("verdict", "")), str(detail.get("progress", ""))
    if verdict not in SETTLED:
        cond = WAITS.get(item.wait.condition)
        verdict, progress = check_by(cond, item, applier.clients(item), deadline=deadline, now=now)
    if "act_reason" in detail:  # the wait this apply (or an earlier pass of it) deferred after acting
        reason, resumed = str(detail["act_reason"]), False
    waited_s = max(0.0, now - (deadline - item.wait.timeout_s))
    plan_hash = applier.plan.plan_hash
    if verdict == NOT_YET:
        checked = {
            **detail,
            "verdict": verdict,
            "progress": progress,
            "checks": int(detail.get("checks", 0)) + 1,
        }
        store_plans.journal_finish(
            applier.store, plan_hash=plan_hash, item_id=item.id, state="waiting", detail=checked
        )
        applier.result.waiting = waiting(item, checked, verdict=verdict, progress=progress, now=now)
        return
    if verdict != OK:
        result = WaitResult(False, progress, waited_s, ended=verdict == ENDED)
        applier.finished.discard(item.id)
        applier.fail_step(item, detail, result.failure(item.wait.condition, item.wait.timeout_s))
        return
    store_plans.journal_finish(
        applier.store, plan_hash=plan_hash, item_id=item.id, state="done", detail=detail
    )
    applier.finished.add(item.id)
    note = f"{item.wait.condition}: {progress} after {waited_s:.0f} s"
    if detail.get(
        "in_place"
    ):  # nothing acted: as a local apply, `skipped` (recorded again only in a later pass)
        if not first:
            applier.record(item, "skipped", f"{reason}; {note}")
        return
    applier.record(item, "resumed" if resumed else "done", f"{reason}; {note}", **detail)


def await_in_place(applier: Applier, item: PlanItem) -> None:
    """A step whose effect is already in place still waits for its condition: journaled `waiting` with
    `in_place` (rollback does not undo it: nothing was acted), then as any deferred wait."""
    assert item.wait is not None
    last = next((o for o in reversed(applier.result.outcomes) if o.item_id == item.id), None)
    plan_hash = applier.plan.plan_hash
    store_plans.journal_start(
        applier.store,
        plan_hash=plan_hash,
        item_id=item.id,
        resource=item.resource.id,
        action=item.action,
        apply_id=applier.result.apply_id,
    )
    reason = last.reason if last else "nothing to do"
    detail = {"wait_deadline": time.time() + item.wait.timeout_s, "in_place": True, "act_reason": reason}
    store_plans.journal_finish(
        applier.store, plan_hash=plan_hash, item_id=item.id, state="waiting", detail=detail
    )
    settle_or_defer(applier, item, detail, reason, resumed=False, first=True)


def check(
    plan: Plan, *, store: Store, clients_for: ClientsFor, item_id: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Check the wait of step `item_id` once and journal the verdict (the scheduler's timer fired); returns
    `waiting(...)`: `verdict` in SETTLED or GONE means the next apply pass finishes the step."""
    item = next(i for i in plan.items if i.id == item_id)
    entry = store_plans.journal(store, plan_hash=plan.plan_hash).get(item_id)
    now = time.time()
    if entry is None or entry.state != "waiting" or item.wait is None or item.wait.condition not in WAITS:
        return {
            "step": item_id,
            "verdict": GONE,
            "progress": "",
            "deadline": now,
            "next_check": now,
            "checks": 0,
        }
    detail = dict(entry.detail)
    if detail.get("verdict") in SETTLED:
        return waiting(
            item, detail, verdict=str(detail["verdict"]), progress=str(detail.get("progress", "")), now=now
        )
    clients = Clients(
        clients_for(item), options=options or {}, plan_hash=plan.plan_hash, now=datetime.now(UTC)
    )
    deadline = float(detail.get("wait_deadline") or 0)
    verdict, progress = check_by(WAITS.get(item.wait.condition), item, clients, deadline=deadline, now=now)
    checked = {**detail, "verdict": verdict, "progress": progress, "checks": int(detail.get("checks", 0)) + 1}
    store_plans.journal_finish(
        store, plan_hash=plan.plan_hash, item_id=item_id, state="waiting", detail=checked
    )
    return waiting(item, checked, verdict=verdict, progress=progress, now=now)
