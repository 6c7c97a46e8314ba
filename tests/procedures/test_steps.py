"""Ordered, gated, multi-step plans on the plan engine, over dials in memory (no cloud): a failed step stops
the rest, waits survive an interruption, a red gate stops the plan, rollback undoes completed steps,
per-step approval is recorded, and --dry-run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.errors import InputError, PlanMismatch
from opsbook.core.models import Resource
from opsbook.core.registry import Registry
from opsbook.procedures import apply as applying
from opsbook.procedures import plan as plans
from opsbook.procedures.kinds import Clients, ItemKind, Live, item_kind
from opsbook.procedures.steps import WAITS, wait_condition
from opsbook.store import plans as store_plans
from opsbook.store.db import Store, open_store
from tests.procedures.fakes import CFG, NOW, roundtrip


class Dials:
    """Named values; the `dial` kind sets one (undo puts the old value back); `broken` cannot be set."""

    def __init__(self, **values: int) -> None:
        self.values = dict(values)
        self.acts: list[str] = []
        self.polls = 0

    def registry(self) -> Registry[ItemKind]:
        reg: Registry[ItemKind] = Registry("dials")

        def recheck(item: plans.PlanItem, clients: Clients) -> Live:
            now = self.values.get(item.resource.id)
            if now == item.params["to"]:
                return Live("done", f"already {now}")
            return Live("eligible", f"{item.resource.id} is {now}")

        def act(item: plans.PlanItem, clients: Clients) -> dict[str, Any]:
            if item.resource.id == "broken":
                raise RuntimeError("the dial is stuck")
            self.acts.append(item.resource.id)
            was = self.values.get(item.resource.id)
            self.values[item.resource.id] = item.params["to"]
            return {"was": was}

        def undo(item: plans.PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
            self.values[item.resource.id] = detail["was"]
            return {"restored": detail["was"]}

        item_kind("dial", action="set-dial", permissions=("x:SetDial",), recheck=recheck, act=act, undo=undo,
                  registry=reg)  # fmt: skip
        return reg


DIALS: Dials | None = None  # the dials the registered wait condition reads (set per test)


def settled(item: plans.PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    assert DIALS is not None
    DIALS.polls += 1
    return DIALS.polls >= params["after_polls"], f"poll {DIALS.polls}/{params['after_polls']}"


if "test-dial-settled" not in WAITS:
    wait_condition("test-dial-settled", settled, description="a dial has settled (tests)")


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path}/store.db")
    yield s
    s.close()


def step(n: int, dial: str, to: int, **extra: Any) -> plans.PlanItem:
    return plans.PlanItem(id=f"{n:03d}", kind="dial", action="set-dial", account="dev", region="us-east-1",
                          resource=Resource(id=dial), reason=f"set {dial} to {to}", params={"to": to}, **extra)  # fmt: skip


def ordered(tmp_path: Path, *items: plans.PlanItem) -> tuple[plans.Plan, dict[str, Any]]:
    return roundtrip(plans.new_plan("test", list(items), now=NOW, ordered=True), tmp_path)


def run(plan: plans.Plan, raw: dict[str, Any], store: Store, dials: Dials, **kw: Any) -> applying.ApplyResult:
    global DIALS
    DIALS = dials
    opts = {k: kw.pop(k) for k in ("dry_run", "rollback", "only") if k in kw}
    return applying.apply_plan(plan, raw, cfg=CFG, store=store, clients_for=lambda i: lambda s: None,
                               options=applying.ApplyOptions(**opts), approve=lambda todo: None, now=NOW,
                               registry=dials.registry(), **kw)  # fmt: skip


def results(out: applying.ApplyResult) -> list[tuple[str, str]]:
    return [(o.item_id, o.result) for o in out.outcomes]


def test_a_failed_step_stops_the_rest_and_apply_again_continues(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1, broken=1, c=1)
    plan, raw = ordered(tmp_path, step(1, "a", 2), step(2, "broken", 2), step(3, "c", 2, depends_on=["002"]))
    first = run(plan, raw, store, dials)
    assert results(first) == [("001", "done"), ("002", "failed"), ("003", "not-run")]
    assert first.stopped_at == "002" and first.failed and dials.values["c"] == 1
    dials.values["broken"] = 2  # fixed by hand: the step's effect is in place now
    second = run(plan, raw, store, dials)
    assert results(second) == [("001", "already-done"), ("002", "skipped"), ("003", "done")]
    assert dials.acts == ["a", "c"] and second.stopped_at is None


def test_a_dependency_not_done_holds_its_step_even_in_an_unordered_plan(tmp_path: Path, store: Store) -> None:
    dials = Dials(broken=1, b=1)
    plan, raw = roundtrip(plans.new_plan("test", [step(1, "broken", 2), step(2, "b", 2, depends_on=["001"])],
                                         now=NOW), tmp_path)  # fmt: skip
    out = run(plan, raw, store, dials)
    assert (
        results(out) == [("001", "failed"), ("002", "not-run")]
        and "waits for step 001" in out.outcomes[1].reason
    )


def test_a_wait_polls_until_the_condition_holds(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1)
    wait = plans.Wait(condition="test-dial-settled", params={"after_polls": 3}, timeout_s=10, interval_s=0.01)
    plan, raw = ordered(tmp_path, step(1, "a", 2, wait=wait))
    seen: list[str] = []
    out = run(plan, raw, store, dials, on_progress=lambda item, text: seen.append(text))
    assert results(out) == [("001", "done")] and seen == ["poll 1/3", "poll 2/3", "poll 3/3"]
    assert store_plans.journal(store, plan_hash=plan.plan_hash)["001"].state == "done"


def test_a_wait_that_times_out_fails_its_step(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1, b=1)
    wait = plans.Wait(
        condition="test-dial-settled", params={"after_polls": 10**9}, timeout_s=0.05, interval_s=0.01
    )
    plan, raw = ordered(tmp_path, step(1, "a", 2, wait=wait), step(2, "b", 2))
    out = run(plan, raw, store, dials)
    assert (
        results(out) == [("001", "failed"), ("002", "not-run")]
        and "timed out waiting" in out.outcomes[0].reason
    )


def test_an_interrupted_wait_resumes_without_acting_again(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1, b=1)
    wait = plans.Wait(condition="test-dial-settled", params={"after_polls": 4}, timeout_s=60, interval_s=0.01)
    plan, raw = ordered(tmp_path, step(1, "a", 2, wait=wait), step(2, "b", 2))

    def interrupt(item: plans.PlanItem, text: str) -> None:
        if text == "poll 2/4":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(plan, raw, store, dials, on_progress=interrupt)
    assert store_plans.journal(store, plan_hash=plan.plan_hash)["001"].state == "waiting"
    out = run(plan, raw, store, dials)
    assert results(out) == [("001", "resumed"), ("002", "done")]
    assert dials.acts == ["a", "b"]  # step 1 acted once, before the interruption


class RedAfter:
    """Gates whose check turns red after the step named `red_after`."""

    def __init__(self, red_after: str) -> None:
        self.red_after = red_after
        self.baselines = 0

    def baseline(self, items: Sequence[plans.PlanItem]) -> dict[str, list[str]]:
        self.baselines += 1
        return {"k8s.deployment_unavailable": ["uid-1"]}

    def unknown(self, check_ids: Sequence[str]) -> list[str]:
        return [c for c in check_ids if not c.startswith("k8s.")]

    def regressions(self, item: plans.PlanItem, baseline: dict[str, list[str]]) -> list[str]:
        assert baseline == {"k8s.deployment_unavailable": ["uid-1"]}
        return (
            ["k8s.deployment_unavailable: uid-1 passed before, fails now"]
            if item.id == self.red_after
            else []
        )


def test_a_gate_that_turns_red_stops_the_plan(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1, b=1, c=1)
    gate = ["k8s.deployment_unavailable"]
    plan, raw = ordered(tmp_path, step(1, "a", 2, gate=gate), step(2, "b", 2, gate=gate), step(3, "c", 2))
    gates = RedAfter("002")
    out = run(plan, raw, store, dials, gates=gates)
    assert results(out) == [("001", "done"), ("002", "done"), ("002", "gate-red"), ("003", "not-run")]
    assert out.stopped_at == "002" and out.failed and dials.values["c"] == 1
    journal = store_plans.journal(store, plan_hash=plan.plan_hash)
    assert journal[applying.BASELINE].detail["failing"] == {"k8s.deployment_unavailable": ["uid-1"]}
    run(plan, raw, store, dials, gates=RedAfter("none"))  # resumed: the journaled baseline is used again
    assert gates.baselines == 1 and dials.values["c"] == 2


def test_rollback_undoes_completed_steps_newest_first(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1, b=5, broken=1)
    plan, raw = ordered(tmp_path, step(1, "a", 2), step(2, "b", 6), step(3, "broken", 2))
    run(plan, raw, store, dials)
    assert dials.values == {"a": 2, "b": 6, "broken": 1}
    back = run(plan, raw, store, dials, rollback=True)
    assert results(back) == [("002", "undone"), ("001", "undone")]
    assert dials.values == {"a": 1, "b": 5, "broken": 1}  # read back: what the steps changed is restored
    journal = store_plans.journal(store, plan_hash=plan.plan_hash)
    assert journal["001"].state == journal["002"].state == "undone"
    again = run(plan, raw, store, dials, rollback=True)
    assert results(again) == []  # nothing left to undo


def test_per_step_approval_is_asked_and_recorded(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1, b=1)
    plan, raw = ordered(tmp_path, step(1, "a", 2), step(2, "b", 2, approval=True))
    refused = run(plan, raw, store, dials)
    assert results(refused) == [("001", "done"), ("002", "refused")] and dials.values["b"] == 1

    def no(item: plans.PlanItem) -> None:
        raise InputError("not now")

    assert results(run(plan, raw, store, dials, approve_step=no))[-1] == ("002", "refused")
    asked: list[str] = []
    out = run(plan, raw, store, dials, approve_step=lambda item: asked.append(item.id))
    assert asked == ["002"] and results(out) == [
        ("001", "already-done"),
        ("002", "approved"),
        ("002", "done"),
    ]
    audit = [r for r in store_plans.list_audit(store, plan_hash=plan.plan_hash) if r["result"] == "approved"]
    assert len(audit) == 1 and audit[0]["who"] and "approved by" in audit[0]["reason"]


def test_dry_run_evaluates_every_recheck_and_gate_and_changes_nothing(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1, b=2, c=1)
    gate = ["k8s.deployment_unavailable"]
    plan, raw = ordered(
        tmp_path, step(1, "a", 2, gate=gate), step(2, "b", 2), step(3, "c", 2, depends_on=["001"])
    )
    out = run(plan, raw, store, dials, dry_run=True, gates=RedAfter("none"))
    assert results(out) == [("001", "would-act"), ("002", "skipped"), ("003", "would-act")]
    assert dials.acts == [] and dials.values == {"a": 1, "b": 2, "c": 1}
    assert store_plans.journal(store, plan_hash=plan.plan_hash) == {}
    red = run(plan, raw, store, dials, dry_run=True, gates=RedAfter("001"))
    assert results(red) == [("001", "would-act"), ("001", "gate-red"), ("002", "not-run"), ("003", "not-run")]


def test_a_step_already_in_place_still_waits_for_its_condition(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=2)  # an earlier step (or someone) already set it
    wait = plans.Wait(condition="test-dial-settled", params={"after_polls": 2}, timeout_s=10, interval_s=0.01)
    plan, raw = ordered(tmp_path, step(1, "a", 2, wait=wait))
    out = run(plan, raw, store, dials)
    assert results(out) == [("001", "skipped")] and dials.polls == 2 and dials.acts == []
    never = plans.Wait(
        condition="test-dial-settled", params={"after_polls": 10**9}, timeout_s=0.05, interval_s=0.01
    )
    plan2, raw2 = ordered(tmp_path, step(1, "a", 2, wait=never), step(2, "b", 1))
    stuck = run(plan2, raw2, store, dials)
    assert results(stuck) == [("001", "skipped"), ("001", "failed"), ("002", "not-run")]


def test_rollback_undoes_a_step_whose_wait_timed_out(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1)
    never = plans.Wait(
        condition="test-dial-settled", params={"after_polls": 10**9}, timeout_s=0.05, interval_s=0.01
    )
    plan, raw = ordered(tmp_path, step(1, "a", 2, wait=never))
    assert results(run(plan, raw, store, dials)) == [("001", "failed")] and dials.values["a"] == 2
    back = run(plan, raw, store, dials, rollback=True)
    assert results(back) == [("001", "undone")] and dials.values["a"] == 1  # acted, so it is undone


def test_a_plan_naming_an_unknown_wait_or_gate_is_refused_before_any_step(
    tmp_path: Path, store: Store
) -> None:
    dials = Dials(a=1, b=1)
    bad_wait = plans.Wait(condition="no-such-condition", timeout_s=1, interval_s=0.01)
    plan, raw = ordered(tmp_path, step(1, "a", 2), step(2, "b", 2, wait=bad_wait))
    with pytest.raises(PlanMismatch, match="unknown wait conditions: no-such-condition"):
        run(plan, raw, store, dials)
    plan2, raw2 = ordered(tmp_path, step(1, "a", 2), step(2, "b", 2, gate=["aws.no_such_check"]))
    with pytest.raises(PlanMismatch, match="unknown gate checks: aws.no_such_check"):
        run(plan2, raw2, store, dials, gates=RedAfter("none"))
    assert dials.acts == [] and dials.values == {"a": 1, "b": 1}  # step 1 did not run either


def test_dry_run_of_an_interrupted_wait_neither_polls_nor_journals(tmp_path: Path, store: Store) -> None:
    dials = Dials(a=1)
    wait = plans.Wait(condition="test-dial-settled", params={"after_polls": 3}, timeout_s=60, interval_s=0.01)
    plan, raw = ordered(tmp_path, step(1, "a", 2, wait=wait))

    def interrupt(item: plans.PlanItem, text: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(plan, raw, store, dials, on_progress=interrupt)
    polls, before = dials.polls, store_plans.journal(store, plan_hash=plan.plan_hash)
    out = run(plan, raw, store, dials, dry_run=True)
    assert results(out) == [("001", "would-act")] and "would resume the wait" in out.outcomes[0].reason
    assert dials.polls == polls and store_plans.journal(store, plan_hash=plan.plan_hash) == before


def test_the_gate_baseline_covers_the_whole_plan_not_only_the_selected_steps(
    tmp_path: Path, store: Store
) -> None:
    dials = Dials(a=1, b=1)
    gate = ["k8s.deployment_unavailable"]
    plan, raw = ordered(tmp_path, step(1, "a", 2, gate=gate), step(2, "b", 2, gate=gate))
    seen: list[list[str]] = []

    class Recording(RedAfter):
        def baseline(self, items: Sequence[plans.PlanItem]) -> dict[str, list[str]]:
            seen.append([i.id for i in items])
            return super().baseline(items)

    run(plan, raw, store, dials, only=["001"], gates=Recording("none"))
    assert seen == [["001", "002"]]  # a later `--only 002` judges step 2 against its own target's baseline


class Denied(Exception):
    status = 403


def test_a_wait_stops_at_once_when_access_is_denied(tmp_path: Path, store: Store) -> None:
    from opsbook.procedures.steps import WaitCondition, poll

    calls: list[int] = []

    def probe(item: plans.PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
        calls.append(1)
        raise Denied("forbidden: deployments.apps is not allowed")

    item = step(1, "a", 2, wait=plans.Wait(condition="x", timeout_s=60, interval_s=0.01))
    clients = Clients(lambda s: None, options={}, plan_hash="h", now=NOW)
    out = poll(WaitCondition("x", probe), item, clients, deadline=10**12, interval=0.01)
    assert not out.ok and len(calls) == 1 and "forbidden" in out.progress
