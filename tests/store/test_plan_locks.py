"""plan_locks rows on SQLite and PostgreSQL: one holder per plan, compare-and-swap takeover, owner-only release."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

from opsbook.store import locks
from opsbook.store.db import open_store


def holder(apply_id: str) -> locks.Holder:
    now = datetime.now(UTC).replace(microsecond=0)
    return locks.Holder(apply_id, "alice", "host-a", 4242, now, now)


def race(n: int, attempt: object) -> list[bool]:
    """Run `attempt(i)` in n threads released at once; their results in thread order."""
    start = threading.Barrier(n)
    got: list[bool] = [False] * n

    def run(i: int) -> None:
        start.wait()
        got[i] = attempt(i)  # type: ignore[operator]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return got


def test_one_holder_per_plan_even_when_inserts_race(store_url: str) -> None:
    plan_hash = f"sha256:{uuid.uuid4().hex}"
    stores = [open_store(store_url) for _ in range(4)]
    try:
        won = race(4, lambda i: locks.insert(stores[i], plan_hash=plan_hash, holder=holder(f"a{i}")))
        assert sorted(won) == [False, False, False, True]
        winner = f"a{won.index(True)}"
        held = locks.current(stores[0], plan_hash=plan_hash)
        assert held is not None and held.apply_id == winner and held.who == "alice" and held.pid == 4242
        assert held.acquired_at.tzinfo is not None

        # of racing takeovers of the same holder, exactly one wins
        took = race(4, lambda i: locks.take_over(stores[i], plan_hash=plan_hash, old_apply_id=winner,
                                                  holder=holder(f"b{i}")))  # fmt: skip
        assert sorted(took) == [False, False, False, True]
        new = f"b{took.index(True)}"
        assert not locks.heartbeat(stores[0], plan_hash=plan_hash, apply_id=winner, at=datetime.now(UTC))
        assert locks.heartbeat(stores[0], plan_hash=plan_hash, apply_id=new, at=datetime.now(UTC))

        locks.release(stores[0], plan_hash=plan_hash, apply_id=winner)  # not the holder: nothing happens
        assert locks.current(stores[0], plan_hash=plan_hash) is not None
        locks.release(stores[0], plan_hash=plan_hash, apply_id=new)
        assert locks.current(stores[0], plan_hash=plan_hash) is None
        assert locks.insert(stores[1], plan_hash=plan_hash, holder=holder("c"))  # free again
    finally:
        for s in stores:
            s.close()
