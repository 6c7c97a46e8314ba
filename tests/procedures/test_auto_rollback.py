"""A plan made with `on_failure: "rollback"` rolls back by itself when a step fails or its gate turns red
(journaled and audited like --rollback); an interrupted automatic rollback continues on the next apply
without undoing twice; a finished one leaves the plan failed and untouched. Over dials in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.registry import Registry
from opsbook.procedures import apply as applying
from opsbook.procedures import plan as plans
from opsbook.procedures.kinds import Clients, ItemKind, Live, item_kind
from opsbook.procedures.rollback import AUTO
from opsbook.procedures.steps import WAITS, WaitFailed, wait_condition
from opsbook.store import plans as store_plans
from opsbook.store.db import Store, open_store
from tests.procedures import test_steps as tests_steps
from tests.procedures.fakes import CFG, NOW, roundtrip
from tests.procedures.test_steps import Dials, RedAfter, results, run, step

NEVER = plans.Wait(
    condition="test-dial-settled", params={"after_polls": 10**9}, timeout_s=0.05, interval_s=0.01
)
SOON = plans.Wait(condition="test-dial-settled", params={"after_polls": 0}, timeout_s=5, interval_s=0.01)


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path}/store.db")
    yield s
    s.close()


def rolls_back(tmp_path: Path, *items: plans.PlanItem) -> tuple[plans.Plan, dict[str, Any]]:
    plan = plans.new_plan("test", list(items), now=NOW, ordered=True, on_failure="rollback")
    return roundtrip(plan, tmp_path)


def audited(db: Store, plan: plans.Plan) -> list[str]:
    return [r["result"] for r in store_plans.list_audit(db, plan_hash=plan.plan_hash)]


def test_a_failed_wait_rolls_back_every_changed_step_in_the_same_apply(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1, b=1, c=1)
    plan, raw = rolls_back(tmp_path, step(1, "a", 2), step(2, "b", 2, wait=NEVER), step(3, "c", 2))
    out = run(plan, raw, store, dials)
    assert results(out) == [("001", "done"), ("002", "failed"), ("003", "not-run"), ("002", "undone"),
                            ("001", "undone")]  # fmt: skip
    assert dials.values == {"a": 1, "b": 1, "c": 1}  # read back: everything as it was
    assert out.rolled_back and out.failed and out.stopped_at == "002"
    assert all(o.reason.startswith("automatic rollback: ") for o in out.outcomes[3:])
    journal = store_plans.journal(store, plan_hash=plan.plan_hash)
    assert journal[AUTO].state == "done" and journal["001"].state == journal["002"].state == "undone"
    assert "auto-rollback" in audited(store, plan)

    again = run(plan, raw, store, dials)  # the plan failed and was rolled back: nothing happens again
    assert results(again) == [("001", "not-run"), ("002", "not-run"), ("003", "not-run")]
    assert again.failed and dials.acts == ["a", "b"] and dials.values == {"a": 1, "b": 1, "c": 1}


def test_a_red_gate_rolls_back_but_a_refusal_and_a_dry_run_do_not(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1, b=1)
    gate = ["k8s.deployment_unavailable"]
    plan, raw = rolls_back(tmp_path, step(1, "a", 2), step(2, "b", 2, gate=gate))
    dry = run(plan, raw, store, dials, gates=RedAfter("002"), dry_run=True)
    assert not dry.rolled_back and [r for _, r in results(dry)] == ["would-act", "would-act", "gate-red"]
    out = run(plan, raw, store, dials, gates=RedAfter("002"))
    assert [r for _, r in results(out)] == ["done", "done", "gate-red", "undone", "undone"]
    assert dials.values == {"a": 1, "b": 1} and out.rolled_back

    refused = Dials(a=1, b=1)
    prod = step(2, "b", 2).model_copy(update={"account": "prod"})  # a protected account
    plan2, raw2 = rolls_back(tmp_path, step(1, "a", 2), prod)
    out2 = run(plan2, raw2, store, refused)
    assert results(out2) == [("001", "done"), ("002", "refused")] and not out2.rolled_back
    assert refused.values == {"a": 2, "b": 1}  # a refusal stops the plan; the user decides about --rollback


def test_an_interrupted_automatic_rollback_continues_without_undoing_twice(
    tmp_path: Path, store: Store
) -> None:
    dials = Dials(a=1, b=1)
    undos: list[str] = []
    kind = dials.registry().get("dial")
    assert kind.undo is not None
    undo = kind.undo

    def counted(item: plans.PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
        undos.append(item.resource.id)
        return {**undo(item, clients, detail), "wait": {"after_polls": 3}}  # an undo that is waited for

    registry: Registry[ItemKind] = Registry("dials")
    item_kind("dial", action=kind.action, permissions=kind.permissions, recheck=kind.recheck, act=kind.act,
              undo=counted, registry=registry)  # fmt: skip
    plan, raw = rolls_back(tmp_path, step(1, "a", 2, wait=SOON), step(2, "b", 2, wait=NEVER))

    def interrupt(item: plans.PlanItem, text: str) -> None:
        if item.id == "002" and text.startswith("poll") and len(undos) == 1:
            raise KeyboardInterrupt  # killed while the rollback waits for step 2's undo

    def apply(**kw: Any) -> applying.ApplyResult:
        return applying.apply_plan(plan, raw, cfg=CFG, store=store, clients_for=lambda i: lambda s: None,
                                   options=applying.ApplyOptions(), approve=lambda todo: None, now=NOW,
                                   registry=registry, **kw)  # fmt: skip

    tests_steps.DIALS = dials
    with pytest.raises(KeyboardInterrupt):
        apply(on_progress=interrupt)
    journal = store_plans.journal(store, plan_hash=plan.plan_hash)
    assert journal[AUTO].state == "rolling-back" and journal["002"].state == "undoing"
    assert dials.values == {"a": 2, "b": 1} and undos == ["b"]

    dials.polls = 0
    out = apply()
    assert results(out) == [("002", "undone"), ("001", "undone")] and out.rolled_back
    assert undos == ["b", "a"] and dials.values == {"a": 1, "b": 1}  # b's undo was not sent again
    assert store_plans.journal(store, plan_hash=plan.plan_hash)[AUTO].state == "done"


def gone(item: plans.PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    raise WaitFailed("the rollout exceeded its progress deadline")


if "test-gone" not in WAITS:
    wait_condition("test-gone", gone, description="a condition that can no longer hold (tests)")


def test_a_condition_that_can_no_longer_hold_fails_the_wait_at_once(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1)
    wait = plans.Wait(condition="test-gone", timeout_s=3600, interval_s=1)
    plan, raw = roundtrip(
        plans.new_plan("test", [step(1, "a", 2, wait=wait)], now=NOW, ordered=True), tmp_path
    )
    out = run(plan, raw, store, dials)
    assert results(out) == [("001", "failed")] and not out.rolled_back  # on_failure "stop": no rollback
    assert out.outcomes[0].reason == "test-gone failed after 0 s: the rollout exceeded its progress deadline"
    assert dials.values == {"a": 2}


def test_a_verify_only_step_is_passed_over_as_undone_and_runs_again_on_the_next_apply(
    tmp_path: Path, store: Store
) -> None:
    dials = Dials(a=1, b=1)
    registry = dials.registry()
    checks: list[str] = []

    def check(item: plans.PlanItem, clients: Clients) -> dict[str, Any]:
        checks.append(item.id)
        return {}

    item_kind("check", action="check", permissions=("read",), recheck=lambda i, c: Live("eligible", "check"),
              act=check, changes_nothing=True, registry=registry)  # fmt: skip
    verify = step(2, "a", 2).model_copy(update={"kind": "check", "action": "check"})
    plan, raw = ordered_plan(tmp_path, step(1, "a", 2), verify, step(3, "b", 2, wait=NEVER))

    def apply(**opts: Any) -> applying.ApplyResult:
        return applying.apply_plan(plan, raw, cfg=CFG, store=store, clients_for=lambda i: lambda s: None,
                                   options=applying.ApplyOptions(**opts), approve=lambda todo: None, now=NOW,
                                   registry=registry)  # fmt: skip

    tests_steps.DIALS = dials
    out = apply()
    assert results(out)[:3] == [("001", "done"), ("002", "done"), ("003", "failed")], results(out)
    back = apply(rollback=True)
    assert results(back) == [("003", "undone"), ("002", "undone"), ("001", "undone")], results(back)
    assert "nothing to roll back: check changes nothing" in back.outcomes[1].reason and not back.failed
    assert store_plans.journal(store, plan_hash=plan.plan_hash)["002"].state == "undone"
    assert checks == ["002"]
    dials.polls = 0
    apply(only=["001", "002"])  # applied again: the check runs again after the step it verifies
    assert checks == ["002", "002"]


def ordered_plan(tmp_path: Path, *items: plans.PlanItem) -> tuple[plans.Plan, dict[str, Any]]:
    return roundtrip(plans.new_plan("test", list(items), now=NOW, ordered=True), tmp_path)
