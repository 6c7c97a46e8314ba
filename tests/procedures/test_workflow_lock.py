"""The plan lock of a durable apply (a Temporal workflow): its row names the workflow, its heartbeat is a
lease end, so a long sleep between activities never makes it stale; a later activity of the same workflow
renews it, another apply is refused naming the workflow, a lease long past is taken over; on SQLite and
PostgreSQL (the workflow id is longer than the apply id column)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from opsbook.core.errors import PlanLocked
from opsbook.procedures.lock import STALE_AFTER, PlanLock, WorkflowLock
from opsbook.store import locks
from opsbook.store.db import Store, open_store

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOLD = timedelta(minutes=15)


@pytest.fixture()
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    yield s
    s.close()


def at(t: datetime) -> dict[str, object]:
    return {"clock": lambda: t}


def test_the_workflow_holds_the_lock_between_activities_until_it_releases_it(store: Store) -> None:
    plan_hash = "sha256:" + uuid.uuid4().hex * 2
    wid = "opsbook-apply-" + plan_hash[7:47]

    def workflow(t: datetime) -> WorkflowLock:
        return WorkflowLock(store, plan_hash=plan_hash, workflow_id=wid, who="alice", hold=HOLD, **at(t))  # type: ignore[arg-type]

    def local(t: datetime) -> PlanLock:
        return PlanLock(store, plan_hash=plan_hash, apply_id="local1", who="bob", host="h", pid=1, **at(t))  # type: ignore[arg-type]

    workflow(T0).acquire()
    held = locks.current(store, plan_hash=plan_hash)
    assert held is not None and held.host == f"temporal:{wid}" and held.heartbeat_at == T0 + HOLD
    # while the workflow sleeps (its lease not yet out, however long after its last beat) others are refused
    for later in (T0 + timedelta(minutes=1), T0 + HOLD + STALE_AFTER - timedelta(seconds=1)):
        with pytest.raises(PlanLocked) as refused:
            local(later).acquire()
        assert f"Temporal workflow {wid} (started by alice)" in str(refused.value)
    workflow(T0 + timedelta(minutes=10)).acquire()  # its next activity renews the lease
    held = locks.current(store, plan_hash=plan_hash)
    assert held is not None and held.heartbeat_at == T0 + timedelta(minutes=10) + HOLD
    with pytest.raises(PlanLocked):
        local(T0 + HOLD + STALE_AFTER + timedelta(seconds=1)).acquire()  # renewed: still held
    workflow(T0 + timedelta(minutes=11)).release()
    assert locks.current(store, plan_hash=plan_hash) is None
    local(T0 + timedelta(minutes=12)).acquire()  # free once the workflow ended
    local(T0).release()


def test_a_workflow_gone_without_releasing_is_taken_over_after_its_lease(store: Store) -> None:
    plan_hash = "sha256:" + uuid.uuid4().hex * 2
    wid = "opsbook-apply-" + plan_hash[7:47]
    WorkflowLock(store, plan_hash=plan_hash, workflow_id=wid, who="alice", hold=HOLD, **at(T0)).acquire()  # type: ignore[arg-type]
    late = T0 + HOLD + STALE_AFTER + timedelta(seconds=1)
    lock = PlanLock(store, plan_hash=plan_hash, apply_id="local2", who="bob", host="h", pid=1, **at(late))  # type: ignore[arg-type]
    lock.acquire()
    assert lock.taken_over is not None and wid in lock.taken_over
    # the workflow's next activity finds another holder: refused, it does not take the lock back
    with pytest.raises(PlanLocked):
        WorkflowLock(
            store, plan_hash=plan_hash, workflow_id=wid, who="alice", hold=HOLD, **at(late)
        ).acquire()  # type: ignore[arg-type]
    lock.release()
