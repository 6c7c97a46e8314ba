"""store/run_counts.py on SQLite and PostgreSQL: the newest finished run per scope, and the last success."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind
from opsbook.store import runs
from opsbook.store.db import Store, open_store
from opsbook.store.run_counts import covered, last_success, latest_runs

DEV = Target(kind=TargetKind.AWS, account="dev", region="us-east-1")
PROD = Target(kind=TargetKind.AWS, account="prod", region="us-east-1")
T0 = datetime(2026, 11, 27, 8, tzinfo=UTC)


def finding(target: Target, rid: str, status: Status) -> Finding:
    return Finding(check_id="rds.instance_not_available", status=status, severity=Severity.HIGH,
                   target=target, resource=Resource(id=rid), message=f"{rid} {status.value}")  # fmt: skip


def stored_run(
    store: Store,
    scope: str,
    hour: int,
    *,
    dev: list[Status],
    prod_error: str | None = None,
    status: str = "complete",
) -> str:
    run_id = f"{scope}-{hour}"
    started = T0 + timedelta(hours=hour)
    runs.begin_run(store, run_id=run_id, scope=scope, started_at=started, targets=[DEV, PROD])
    fs = [finding(DEV, f"db-{i}", s) for i, s in enumerate(dev)]
    runs.record_target(store, run_id=run_id, target=DEV, findings=fs, error=None, seconds=1.5)
    runs.record_target(store, run_id=run_id, target=PROD, findings=[], error=prod_error, seconds=0.25)
    if status != "running":
        runs.finish_run(
            store,
            run_id=run_id,
            status=status,
            finished_at=started + timedelta(minutes=2),
            api_calls={DEV.key: {"rds:DescribeDBInstances": 2}},
            api_faults={"throttles": {DEV.key: {"rds:DescribeDBInstances": 3}}, "errors": {}},
        )
    return run_id


def test_latest_run_per_scope_and_last_success(store_url: str) -> None:
    store = open_store(store_url)
    # scopes of this test only: the PostgreSQL database is the session's, other tests' runs are in it
    daily, weekly = f"daily-{uuid.uuid4().hex[:8]}", f"weekly-{uuid.uuid4().hex[:8]}"
    try:
        stored_run(store, daily, 0, dev=[Status.FAIL, Status.PASS])  # succeeded: failures are not the run's
        stored_run(store, daily, 1, dev=[Status.PASS], prod_error="unreachable")  # a target failed
        stored_run(store, daily, 2, dev=[Status.ERROR, Status.FAIL, Status.FAIL])  # a check could not read
        stored_run(store, daily, 3, dev=[Status.PASS], status="running")  # not finished: not the latest
        stored_run(store, weekly, 1, dev=[Status.PASS], status="interrupted")

        mine = {daily, weekly}
        assert {k: v for k, v in last_success(store).items() if k in mine} == {
            daily: T0 + timedelta(minutes=2)
        }
        assert last_success(store, scopes=[weekly]) == {}
        day, week = sorted((r for r in latest_runs(store) if r.scope in mine), key=lambda r: r.scope)
        assert (day.scope, day.started_at, day.status) == (daily, T0 + timedelta(hours=2), "complete")
        key = ("rds.instance_not_available", DEV.key)
        assert day.findings == {(*key, "error", "high"): 1, (*key, "fail", "high"): 2}
        assert day.targets == {DEV.key: (False, 1.5), PROD.key: (False, 0.25)} and not day.succeeded
        assert day.api_calls == {DEV.key: {"rds:DescribeDBInstances": 2}}
        assert day.api_throttles == {DEV.key: {"rds:DescribeDBInstances": 3}} and day.api_errors == {}
        assert (week.scope, week.status, week.succeeded) == (weekly, "interrupted", False)

        # `run due` on a review day: its combined label is a run of each part too (the daily alert holds)
        stored_run(store, f"{daily}+{weekly}", 4, dev=[Status.FAIL])
        at4 = T0 + timedelta(hours=4, minutes=2)
        both = {daily: at4, weekly: at4, f"{daily}+{weekly}": at4}
        assert {k: v for k, v in last_success(store).items() if daily in k or weekly in k} == both
        assert last_success(store, scopes=[weekly]) == {weekly: at4}
        stored_run(store, daily, 5, dev=[Status.PASS])  # a newer plain daily run moves daily only
        assert last_success(store, scopes=covered(f"{daily}+{weekly}")) == both | {
            daily: T0 + timedelta(hours=5, minutes=2)
        }
    finally:
        store.close()


def test_a_narrowed_run_succeeding_is_not_the_whole_scopes_success(store_url: str) -> None:
    """`opsbook run daily --account dev` is stored as `daily[account=dev]`: daily's last success stays with
    the last run of all of daily, and the narrowed label has its own."""
    from opsbook.core.scope_label import narrowed

    store = open_store(store_url)
    daily = f"daily-{uuid.uuid4().hex[:8]}"
    dev_only = narrowed(daily, accounts=["dev"])
    try:
        stored_run(store, daily, 0, dev=[Status.PASS])
        stored_run(store, dev_only, 6, dev=[Status.PASS])
        whole, part = T0 + timedelta(minutes=2), T0 + timedelta(hours=6, minutes=2)
        assert last_success(store, scopes=[daily, dev_only]) == {daily: whole, dev_only: part}
        assert {r.scope for r in latest_runs(store)} >= {daily, dev_only}  # each its own series
    finally:
        store.close()
