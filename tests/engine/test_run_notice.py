"""A finished run's one summary notification: counts, top new failures, maintenance, severity, dedupe."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from opsbook.core.config import Config
from opsbook.core.events import MAINTENANCE_KEY, EventSeverity
from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind
from opsbook.engine.run_notice import notify_run, run_event
from opsbook.engine.runner import RunResult, TargetOutcome
from opsbook.notify import publish
from opsbook.store.db import open_store
from tests.notify.receiver import Receiver

PROD = Target(kind=TargetKind.AWS, account="prod", region="us-east-1")
DEV = Target(kind=TargetKind.AWS, account="dev", region="us-east-1")


def fail(check: str, target: Target, resource: str, severity: Severity = Severity.HIGH, **details) -> Finding:
    return Finding(check_id=check, status=Status.FAIL, severity=severity, target=target,
                   resource=Resource(id=resource), message=f"{resource} is bad", details=details)  # fmt: skip


def result(findings: list[Finding], new: list[Finding], resolved: int = 0, still: int = 0) -> RunResult:
    return RunResult(
        run_id="r1", scope="daily", started_at=datetime.now(UTC), finished_at=datetime.now(UTC),
        status="complete", outcomes=[TargetOutcome(PROD, findings)], api_calls={},
        diff={"new": [f.uid for f in new], "resolved": [f"gone{i}" for i in range(resolved)],
              "still_failing": [f"old{i}" for i in range(still)]},
    )  # fmt: skip


def test_summary_counts_top_new_and_highest_severity() -> None:
    crit = fail("rds.instance_not_available", PROD, "db", Severity.CRITICAL)
    low = fail("ec2.unattached_volumes", DEV, "vol-1", Severity.LOW)
    window = fail("eks.node_not_ready", PROD, "node-1", Severity.CRITICAL, **{MAINTENANCE_KEY: "w1"})
    event = run_event(result([crit, low, window], [low, crit, window], resolved=2, still=3))
    assert event is not None and event.severity is EventSeverity.CRITICAL
    assert event.title == "opsbook daily: 2 new, 3 still failing, 2 resolved, 1 expected (maintenance)"
    assert event.body.splitlines() == [
        "- [critical] rds.instance_not_available on aws:prod/us-east-1: db is bad",
        "- [low] ec2.unattached_volumes on aws:dev/us-east-1: vol-1 is bad",
    ]
    assert event.targets == ("aws:dev/us-east-1", "aws:prod/us-east-1") and event.ref == "r1"


def test_nothing_new_or_only_expected_sends_nothing_and_resolved_only_closes() -> None:
    window = fail("eks.node_not_ready", PROD, "node-1", **{MAINTENANCE_KEY: "w1"})
    assert run_event(result([window], [window], still=4)) is None
    assert run_event(result([], [], still=4)) is None
    closing = run_event(result([], [], resolved=1), [("eks.node_not_ready", "aws:prod/us-east-1")])
    assert closing is not None and closing.details["resolved"] is True
    assert closing.severity is EventSeverity.INFO


def test_a_still_failing_check_does_not_page_twice(tmp_path: Path, receiver: Receiver) -> None:
    cfg = Config.model_validate({
        "notifications": {"channels": {"hook": {"url": f"json://127.0.0.1:{receiver.port}/run"}},
                          "routes": [{"events": ["run.finished"], "min_severity": "medium", "channels": ["hook"]}]},
    })  # fmt: skip
    store = open_store(f"sqlite:///{tmp_path}/opsbook.db")
    a = fail("rds.instance_not_available", PROD, "db")
    a2 = fail("rds.instance_not_available", PROD, "db-2")  # the same check and target, another resource
    low = fail("ec2.unattached_volumes", DEV, "vol-1", Severity.LOW)
    try:
        first = notify_run(cfg, store, result([a], [a]))
        same_pairs = notify_run(cfg, store, result([a, a2], [a2], still=1))
        below_route = notify_run(cfg, store, result([a, a2, low], [low], still=2))
        closing = run_event(result([], [], resolved=2), [(a.check_id, a.target.key)])
        assert closing is not None
        [closed] = publish(cfg, closing, store=store)
        again = notify_run(cfg, store, result([a], [a]))
    finally:
        store.close()
    assert [d["deduplicated"] for d in first + same_pairs + again] == [False, True, False]
    assert below_route == [] and not closed.deduplicated
    titles = [b["title"] for b in receiver.bodies()]
    assert titles == ["opsbook daily: 1 new, 0 still failing, 0 resolved",
                      "opsbook daily: 0 new, 0 still failing, 2 resolved",
                      "opsbook daily: 1 new, 0 still failing, 0 resolved"]  # fmt: skip


def test_a_failure_set_that_comes_back_pages_again(tmp_path: Path, receiver: Receiver) -> None:
    """{a} paged, then {a, b} paged, then both resolved: {a} failing again is news, though the key {a} was
    never closed itself (only the latest run summary of a scope counts)."""
    cfg = Config.model_validate({
        "notifications": {"channels": {"hook": {"url": f"json://127.0.0.1:{receiver.port}/run"}},
                          "routes": [{"events": ["run.finished"], "channels": ["hook"]}]},
    })  # fmt: skip
    store = open_store(f"sqlite:///{tmp_path}/opsbook.db")
    a = fail("rds.instance_not_available", PROD, "db")
    b = fail("eks.node_not_ready", PROD, "node-1")
    try:
        first = notify_run(cfg, store, result([a], [a]))
        second = notify_run(cfg, store, result([a, b], [b], still=1))
        closing = run_event(
            result([], [], resolved=2), [(a.check_id, a.target.key), (b.check_id, b.target.key)]
        )
        assert closing is not None
        [closed] = publish(cfg, closing, store=store)
        back = notify_run(cfg, store, result([a], [a]))
        monday = result([b], [b])  # another scope whose name starts with this one's: not in its group
        monday.scope = "daily:monday"
        assert [d["deduplicated"] for d in notify_run(cfg, store, monday)] == [False]
        again = notify_run(cfg, store, result([a], [a]))
    finally:
        store.close()
    assert [d["deduplicated"] for d in first + second + back + again] == [False, False, False, True]
    assert not closed.deduplicated
    assert len(receiver.posts) == 5
