"""Each check's failing count over the last runs of a scope, read from the store for the report's trend."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from opsbook.core.models import Status
from opsbook.store import runs
from opsbook.store.db import open_store
from tests.store.test_summary import f, record

P, F = Status.PASS, Status.FAIL


def test_failing_counts_per_check_over_the_last_runs_of_the_scope(store_url: str) -> None:
    store = open_store(store_url)
    u = uuid.uuid4().hex[:8]  # PostgreSQL is shared by the session: runs and scopes of this test only
    daily, r1, r2, r3, r4 = (f"{name}-{u}" for name in ("daily", "r1", "r2", "r3", "r4"))
    try:
        record(store, r1, datetime(2026, 11, 1, 8, tzinfo=UTC), daily, [f("c1", "x", F)])
        record(store, r2, datetime(2026, 11, 2, 8, tzinfo=UTC), daily, [f("c1", "x", F), f("c1", "y", F)])
        record(store, f"w-{u}", datetime(2026, 11, 2, 9, tzinfo=UTC), f"weekly-{u}", [f("c1", "x", F)])
        record(store, r3, datetime(2026, 11, 3, 8, tzinfo=UTC), daily, [f("c1", "x", P), f("c2", "z", F)])
        record(store, r4, datetime(2026, 11, 4, 8, tzinfo=UTC), daily, [f("c1", "x", F)])

        ids, failing = runs.failing_trend(store, scope=daily, until=r3, limit=3)
        assert ids == [r1, r2, r3]  # oldest first, nothing after `until`, no other scope
        assert failing == {"c1": [1, 2, 0], "c2": [None, None, 1]}  # None: the check did not run

        ids, failing = runs.failing_trend(store, scope=daily, until=r4, limit=2)
        assert ids == [r3, r4] and failing == {"c1": [0, 1], "c2": [1, None]}
        assert runs.failing_trend(store, scope=daily, until="nope", limit=5) == ([], {})
    finally:
        store.close()
