"""An apply tells people when it stops for approval (once per plan or step) and when a step fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.procedures import apply as applying
from opsbook.procedures import plan as plans
from opsbook.store.db import Store, open_store
from tests.notify.receiver import Receiver
from tests.procedures.fakes import CFG, NOW
from tests.procedures.test_steps import Dials, ordered, results, step


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path}/store.db")
    yield s
    s.close()


def notifying(receiver: Receiver) -> Config:
    hook = {"url": f"json://127.0.0.1:{receiver.port}/plans", "timeout": 3}
    notifications = {"channels": {"hook": hook}, "routes": [{"events": ["plan.*"], "channels": ["hook"]}]}
    return CFG.model_copy(
        update={"notifications": Config.model_validate({"notifications": notifications}).notifications}
    )


def apply(
    plan: plans.Plan, raw: dict[str, Any], cfg: Config, store: Store, dials: Dials, approve: Any
) -> Any:
    return applying.apply_plan(plan, raw, cfg=cfg, store=store, clients_for=lambda i: lambda s: None,
                               options=applying.ApplyOptions(), approve=approve, now=NOW,
                               registry=dials.registry())  # fmt: skip


def no_terminal(todo: list[plans.PlanItem]) -> None:
    raise InputError("no terminal to ask for approval on: review the plan, then pass --yes")


def test_stopping_for_approval_notifies_once(tmp_path: Path, store: Store, receiver: Receiver) -> None:
    dials = Dials(a=1, b=1)
    plan, raw = ordered(tmp_path, step(1, "a", 2), step(2, "b", 2))
    cfg = notifying(receiver)
    for _ in range(2):  # the second apply without approval does not notify again
        with pytest.raises(InputError):
            apply(plan, raw, cfg, store, dials, no_terminal)
    [body] = receiver.bodies()
    assert body["title"] == "plan test is waiting for approval (2 step(s))"
    assert "001 set-dial a (aws:dev/us-east-1)" in body["message"] and "pass --yes" in body["message"]
    assert dials.acts == []


def test_a_failed_step_and_a_step_waiting_for_its_approval_notify(
    tmp_path: Path, store: Store, receiver: Receiver
) -> None:
    dials = Dials(a=1, broken=1, c=1)
    cfg = notifying(receiver)
    plan, raw = ordered(tmp_path, step(1, "a", 2), step(2, "broken", 2), step(3, "c", 2))
    out = apply(plan, raw, cfg, store, dials, lambda todo: None)
    assert results(out)[1] == ("002", "failed")
    gated, graw = ordered(tmp_path, step(1, "c", 3, approval=True))
    assert results(apply(gated, graw, cfg, store, dials, lambda todo: None)) == [("001", "refused")]
    assert [b["title"] for b in receiver.bodies()] == [
        "plan test failed at step 002",
        "step 001 of plan test is waiting for approval (1 step(s))",
    ]
    assert "002 set-dial broken: failed: RuntimeError: the dial is stuck" in receiver.bodies()[0]["message"]
    assert receiver.bodies()[0]["type"] == "failure"
