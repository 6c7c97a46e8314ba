"""The plan lock (issue 10, case 6): one apply per plan at a time, on SQLite and on PostgreSQL.

Two applies run in two threads, each with its own store connection; the first one is held inside its
action on an item until the second one has tried, which is the interleaving that deleted snapshots twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from opsbook.core.errors import EXIT_TARGETS_FAILED, OpsbookError, PlanLocked, StoreUnavailable
from opsbook.procedures import apply as applying
from opsbook.procedures import lock as lock_mod
from opsbook.procedures import plan as plans
from opsbook.store import locks
from opsbook.store import plans as store_plans
from opsbook.store.db import Store, open_store
from tests.procedures.fakes import CFG, NOW, Estate, make_plan, roundtrip


def fresh_plan(tmp_path: Path, n: int) -> tuple[plans.Plan, dict[str, Any]]:
    """A plan of its own (the PostgreSQL store is shared by the session's tests)."""
    return roundtrip(make_plan(n, procedure=f"lock-{uuid.uuid4().hex[:8]}"), tmp_path)


def apply(plan: plans.Plan, raw: dict[str, Any], store: Store, estate: Estate, **kw: Any) -> Any:
    return applying.apply_plan(
        plan,
        raw,
        cfg=CFG,
        store=store,
        clients_for=lambda item: lambda service: None,
        options=applying.ApplyOptions(),
        approve=kw.pop("approve", lambda todo: None),
        now=NOW,
        registry=estate.registry(),
    )


def audit(store: Store, plan_hash: str) -> list[dict[str, Any]]:
    return store_plans.list_audit(store, plan_hash=plan_hash)


@pytest.fixture()
def store(store_url: str) -> Any:
    s = open_store(store_url)
    yield s
    s.close()


def test_two_concurrent_applies_act_once_per_item_and_the_second_names_the_holder(
    store_url: str, store: Store, tmp_path: Path
) -> None:
    estate = Estate(4)
    plan, raw = fresh_plan(tmp_path, 4)
    first_inside, second_done = threading.Event(), threading.Event()

    def hold_first(resource_id: str) -> None:
        if threading.current_thread().name == "first" and resource_id == "thing-2":
            first_inside.set()  # the first apply is about to delete thing-2 ...
            second_done.wait(30)  # ... and waits there until the second apply has run

    estate.before_act = hold_first
    got: dict[str, Any] = {}

    def first() -> None:
        own = open_store(store_url)
        try:
            got["first"] = apply(plan, raw, own, estate)
        except Exception as exc:  # noqa: BLE001 - asserted below
            got["first"] = exc
        finally:
            own.close()

    def second() -> None:
        first_inside.wait(30)
        own = open_store(store_url)
        try:
            got["second"] = apply(plan, raw, own, estate)
        except Exception as exc:  # noqa: BLE001 - asserted below
            got["second"] = exc
        finally:
            own.close()
            second_done.set()

    threads = [threading.Thread(target=first, name="first"), threading.Thread(target=second, name="second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    loser, winner = got["second"], got["first"]
    assert isinstance(loser, PlanLocked), loser
    who, host = plans.actor()
    message = str(loser)
    assert f"being applied by {who}@{host} (pid {os.getpid()}, apply {winner.apply_id}) since " in message
    assert "\n" not in message and loser.exit_code == 2
    assert [o.result for o in winner.outcomes] == ["done"] * 4
    assert Counter(estate.acts) == {f"thing-{i}": 1 for i in range(1, 5)}  # one destructive call each
    assert estate.things == {}
    rows = audit(store, plan.plan_hash)
    assert Counter(r["result"] for r in rows) == {"done": 4, "refused": 1}
    assert "being applied by" in next(r["reason"] for r in rows if r["result"] == "refused")
    journal = store_plans.journal(store, plan_hash=plan.plan_hash)
    assert {e.state for e in journal.values()} == {"done"}  # nothing left `failed` for gone resources
    assert locks.current(store, plan_hash=plan.plan_hash) is None  # released at the end


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize(
    ("on_this_host", "alive", "heartbeat_age", "taken_over"),
    [
        (True, False, timedelta(0), "is gone"),  # killed apply on this host: taken over at once
        (False, True, timedelta(minutes=5), "no heartbeat for 300s"),  # another host, silent too long
        (False, True, timedelta(seconds=5), None),  # another host, alive: not taken over
        (True, True, timedelta(seconds=5), None),  # this host, its process runs: not taken over
    ],
)
def test_a_stale_lock_is_taken_over_and_audited_a_live_one_is_not(
    store: Store,
    tmp_path: Path,
    on_this_host: bool,
    alive: bool,
    heartbeat_age: timedelta,
    taken_over: str | None,
) -> None:
    estate = Estate(2)
    plan, raw = fresh_plan(tmp_path, 2)
    who, host = plans.actor()
    pid = os.getpid() if alive and on_this_host else dead_pid() if on_this_host else 4_000_000
    since = datetime.now(UTC) - heartbeat_age
    holder = locks.Holder("earlier", who, host if on_this_host else "elsewhere", pid, since, since)
    assert locks.insert(store, plan_hash=plan.plan_hash, holder=holder)

    if taken_over is None:
        with pytest.raises(PlanLocked, match=r"being applied by .* \(pid \d+, apply earlier\) since "):
            apply(plan, raw, store, estate)
        assert estate.acts == [] and locks.current(store, plan_hash=plan.plan_hash) == holder
        return
    out = apply(plan, raw, store, estate)
    assert [o.result for o in out.outcomes] == ["done", "done"] and len(estate.acts) == 2
    assert len(out.notes) == 1 and "apply earlier" in out.notes[0] and taken_over in out.notes[0]
    rows = audit(store, plan.plan_hash)
    assert [r["result"] for r in rows] == ["lock-taken-over", "done", "done"]
    assert f"pid {pid}" in rows[0]["reason"] and taken_over in rows[0]["reason"]
    assert locks.current(store, plan_hash=plan.plan_hash) is None


@pytest.mark.parametrize("ending", ["ctrl-c", "not-approved", "store-failure"])
def test_the_lock_is_released_however_the_apply_ends(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    estate = Estate(2)
    plan, raw = fresh_plan(tmp_path, 2)

    def approve(todo: list[plans.PlanItem]) -> None:
        if ending == "ctrl-c":
            raise KeyboardInterrupt
        if ending == "not-approved":
            raise OpsbookError("not approved")

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OperationalError(
            "INSERT INTO plan_journal ...", {}, Exception("database or disk is full\nmore")
        )

    if ending == "store-failure":
        monkeypatch.setattr(store_plans, "journal_start", disk_full)
    expected: type[BaseException] = {
        "ctrl-c": KeyboardInterrupt,
        "not-approved": OpsbookError,
        "store-failure": StoreUnavailable,
    }[ending]
    with pytest.raises(expected) as caught:
        apply(plan, raw, store, estate, approve=approve)
    if ending == "store-failure":  # one line, exit 3, never the raw driver error
        assert str(caught.value) == (
            f"store: applying plan {plan.plan_hash[:19]}... failed: database or disk is full more"
        )
        assert caught.value.exit_code == EXIT_TARGETS_FAILED
    assert locks.current(store, plan_hash=plan.plan_hash) is None
    monkeypatch.undo()
    assert [o.result for o in apply(plan, raw, store, estate).outcomes] == ["done", "done"]


def test_an_apply_whose_lock_was_taken_over_stops_before_its_next_item(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock_mod, "HEARTBEAT_EVERY", timedelta(milliseconds=20))
    estate = Estate(3)
    plan, raw = fresh_plan(tmp_path, 3)

    def taken_meanwhile(resource_id: str) -> None:
        if resource_id != "thing-1":
            return
        held = locks.current(store, plan_hash=plan.plan_hash)
        assert held is not None
        now = datetime.now(UTC)
        usurper = locks.Holder("usurper", "someone", "elsewhere", 1, now, now)
        assert locks.take_over(store, plan_hash=plan.plan_hash, old_apply_id=held.apply_id, holder=usurper)
        time.sleep(0.5)  # the holder's heartbeat (every 20 ms here) notices it lost the lock

    estate.before_act = taken_meanwhile
    with pytest.raises(PlanLocked, match=r"taken over by someone@elsewhere \(pid 1, apply usurper\)"):
        apply(plan, raw, store, estate)
    assert estate.acts == ["thing-1"]  # the item in flight finished; no further item was touched
    held = locks.current(store, plan_hash=plan.plan_hash)
    assert held is not None and held.apply_id == "usurper"  # the loser did not release the new holder's lock
