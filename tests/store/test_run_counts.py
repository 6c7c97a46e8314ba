"""store/run_counts.py on SQLite and PostgreSQL: the newest finished run per scope, and the last success."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind
from opsbook.store import runs
from opsbook.store.db import Store, open_store
from opsbook.store.run_counts import last_success, latest_runs

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
    try:
        stored_run(
            store, "daily", 0, dev=[Status.FAIL, Status.PASS]
        )  # succeeded (a failure is not the run's)
        stored_run(store, "daily", 1, dev=[Status.PASS], prod_error="unreachable")  # a target failed
        stored_run(store, "daily", 2, dev=[Status.ERROR, Status.FAIL, Status.FAIL])  # a check could not read
        stored_run(store, "daily", 3, dev=[Status.PASS], status="running")  # not finished: not the latest
        stored_run(store, "weekly:monday", 1, dev=[Status.PASS], status="interrupted")

        assert last_success(store) == {"daily": T0 + timedelta(minutes=2)}
        assert last_success(store, scope="weekly:monday") == {}
        daily, weekly = latest_runs(store)
        assert (daily.scope, daily.started_at, daily.status) == ("daily", T0 + timedelta(hours=2), "complete")
        key = ("rds.instance_not_available", DEV.key)
        assert daily.findings == {(*key, "error", "high"): 1, (*key, "fail", "high"): 2}
        assert daily.targets == {DEV.key: (False, 1.5), PROD.key: (False, 0.25)} and not daily.succeeded
        assert daily.api_calls == {DEV.key: {"rds:DescribeDBInstances": 2}}
        assert daily.api_throttles == {DEV.key: {"rds:DescribeDBInstances": 3}} and daily.api_errors == {}
        assert (weekly.scope, weekly.status, weekly.succeeded) == ("weekly:monday", "interrupted", False)
    finally:
        store.close()
