"""New / resolved / still failing since the previous run of the same scope, by finding uid; and the trend of
each check's failing count over the last runs of the scope."""

from __future__ import annotations

from opsbook.core.models import Status
from opsbook.engine.runner import RunResult, Trend
from opsbook.store import runs
from opsbook.store.db import Store

TREND_RUNS = 14  # runs a report's trend spans: two weeks of a daily scope


def compare(store: Store, result: RunResult) -> None:
    prev = runs.previous_run_id(store, scope=result.scope, before=result.run_id)
    result.previous_run_id = prev
    now_failing = {f.uid for f in result.findings if f.status is Status.FAIL}
    if prev is None:
        result.diff = {"new": sorted(now_failing), "resolved": [], "still_failing": []}
        return
    before = runs.failing(store, run_id=prev)
    covered_targets = {o.target.key for o in result.outcomes if not o.error}
    ran_checks = {f.check_id for f in result.findings if f.status is not Status.ERROR}
    resolved = {
        uid
        for uid, (check_id, target_key) in before.items()
        if uid not in now_failing and target_key in covered_targets and check_id in ran_checks
    }
    result.diff = {
        "new": sorted(now_failing - before.keys()),
        "resolved": sorted(resolved),
        "still_failing": sorted(now_failing & before.keys()),
    }


def trend(store: Store, result: RunResult, runs_back: int = TREND_RUNS) -> Trend | None:
    """Each check's failing count over the last `runs_back` runs of the scope, this one included."""
    run_ids, failing = runs.failing_trend(store, scope=result.scope, until=result.run_id, limit=runs_back)
    return Trend(run_ids=run_ids, failing=failing) if run_ids else None
