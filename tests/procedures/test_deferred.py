"""Deferred waits (what the Temporal apply does): the apply checks a step's wait once and stops there; a
scheduler (here a loop, on Temporal timers) calls `deferred.check` until a verdict settles it; the next apply
finishes the step exactly as a local apply's polled wait would (same results, same failure message, same
journal states, rollback alike)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.procedures import apply as applying
from opsbook.procedures import deferred
from opsbook.procedures import plan as plans
from opsbook.procedures.steps import NOT_YET
from opsbook.store import plans as store_plans
from opsbook.store.db import Store, open_store
from tests.procedures import test_steps as steps
from tests.procedures.fakes import CFG, NOW, roundtrip
from tests.procedures.test_steps import Dials, ordered, results, step


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path}/store.db")
    yield s
    s.close()


def apply(
    plan: plans.Plan, raw: dict[str, Any], store: Store, dials: Dials, **opts: Any
) -> applying.ApplyResult:
    steps.DIALS = dials
    return applying.apply_plan(plan, raw, cfg=CFG, store=store, clients_for=lambda i: lambda s: None,
                               options=applying.ApplyOptions(defer_waits=True, **opts), approve=lambda todo: None,
                               now=NOW, registry=dials.registry())  # fmt: skip


def scheduled(
    plan: plans.Plan, raw: dict[str, Any], store: Store, dials: Dials
) -> list[applying.ApplyResult]:
    """Passes until none stops at a wait; between them, timer then check until the wait is settled (as
    temporal/apply_workflow.py: steps a pass failed or refused are not tried again by the next)."""
    passes = [apply(plan, raw, store, dials)]
    while (wait := passes[-1].waiting) is not None:
        while wait["verdict"] == NOT_YET:
            time.sleep(max(0.0, wait["next_check"] - time.time()))
            wait = deferred.check(
                plan, store=store, clients_for=lambda i: lambda s: None, item_id=wait["step"]
            )
        settled = [o.item_id for p in passes for o in p.outcomes if o.result in ("failed", "refused")]
        passes.append(apply(plan, raw, store, dials, settled=settled))
    return passes


def test_a_deferred_wait_stops_the_apply_and_finishes_once_a_check_holds(
    tmp_path: Path, store: Store
) -> None:
    dials = Dials(a=1, b=1)
    wait = plans.Wait(condition="test-dial-settled", params={"after_polls": 3}, timeout_s=30, interval_s=0.01)
    plan, raw = ordered(tmp_path, step(1, "a", 2, wait=wait), step(2, "b", 2))
    passes = scheduled(plan, raw, store, dials)
    first = passes[0]
    assert results(first) == [] and first.waiting is not None  # acted, checked once, stopped at the wait
    assert first.waiting["step"] == "001" and first.waiting["progress"] == "poll 1/3"
    assert (
        len(passes) == 2 and dials.polls == 3 and dials.acts == ["a", "b"]
    )  # checks 2 and 3 by `check` (1 by the pass)
    assert results(passes[1]) == [("001", "done"), ("002", "done")]
    assert passes[1].outcomes[0].reason.startswith("a is 1; test-dial-settled: poll 3/3 after")  # as locally
    entry = store_plans.journal(store, plan_hash=plan.plan_hash)["001"]
    assert entry.state == "done" and entry.detail["checks"] == 3 and entry.detail["verdict"] == "ok"


def test_a_deferred_wait_past_its_deadline_fails_as_a_local_wait(tmp_path: Path, store: Store) -> None:
    never = plans.Wait(
        condition="test-dial-settled", params={"after_polls": 10**9}, timeout_s=0.3, interval_s=0.1
    )
    local_plan, local_raw = ordered(tmp_path, step(1, "a", 2, wait=never), step(2, "b", 2))
    local = steps.run(local_plan, local_raw, store, Dials(a=1, b=1))
    dials = Dials(c=1, d=1)
    plan, raw = ordered(tmp_path, step(1, "c", 2, wait=never), step(2, "d", 2))
    passes = scheduled(plan, raw, store, dials)
    last = passes[-1]
    assert results(last) == results(local) == [("001", "failed"), ("002", "not-run")]
    assert last.stopped_at == local.stopped_at == "001" and last.failed
    reason, local_reason = last.outcomes[0].reason, local.outcomes[0].reason
    assert (
        reason.split(": poll")[0]
        == local_reason.split(": poll")[0]
        == ("timed out waiting for test-dial-settled (0 s)")
    )
    entry = store_plans.journal(store, plan_hash=plan.plan_hash)["001"]
    local_entry = store_plans.journal(store, plan_hash=local_plan.plan_hash)["001"]
    assert (
        (entry.state, entry.detail["acted"])
        == (local_entry.state, local_entry.detail["acted"])
        == ("failed", True)
    )
    assert entry.detail["error"] == reason
    back = apply(plan, raw, store, dials, rollback=True)  # acted, so it is undone, as locally
    assert results(back) == [("001", "undone")] and dials.values["c"] == 1


def test_a_deferred_wait_on_a_step_already_in_place_is_not_rolled_back(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=2)  # already set: nothing to act, but the step still waits
    wait = plans.Wait(condition="test-dial-settled", params={"after_polls": 2}, timeout_s=30, interval_s=0.01)
    plan, raw = ordered(tmp_path, step(1, "a", 2, wait=wait))
    passes = scheduled(plan, raw, store, dials)
    assert [results(p) for p in passes] == [[("001", "skipped")], [("001", "skipped")]] and dials.acts == []
    assert "test-dial-settled: poll 2/2" in passes[1].outcomes[0].reason
    back = apply(plan, raw, store, dials, rollback=True)
    assert results(back) == [] and dials.values["a"] == 2  # nothing acted, nothing undone
    never = plans.Wait(
        condition="test-dial-settled", params={"after_polls": 10**9}, timeout_s=0.2, interval_s=0.1
    )
    plan2, raw2 = ordered(tmp_path, step(1, "a", 2, wait=never), step(2, "b", 1))
    stuck = scheduled(plan2, raw2, store, dials)[-1]
    assert results(stuck) == [
        ("001", "failed"),
        ("002", "not-run"),
    ]  # (a local apply: skipped, failed, not-run)
    assert store_plans.journal(store, plan_hash=plan2.plan_hash)["001"].detail["acted"] is False


def test_a_step_an_earlier_pass_failed_is_not_tried_again_by_the_next(tmp_path: Path, store: Store) -> None:
    dials = Dials(broken=1, b=1)
    wait = plans.Wait(condition="test-dial-settled", params={"after_polls": 2}, timeout_s=30, interval_s=0.01)
    plan, raw = roundtrip(plans.new_plan("test", [step(1, "broken", 2), step(2, "b", 2, wait=wait)], now=NOW),
                          tmp_path)  # fmt: skip
    passes = scheduled(plan, raw, store, dials)
    assert [results(p) for p in passes] == [[("001", "failed")], [("002", "done")]]  # as one local apply
    trail = store_plans.list_audit(store, plan_hash=plan.plan_hash)
    assert [a["result"] for a in trail if a["item_id"] == "001"] == ["failed"]  # tried once
