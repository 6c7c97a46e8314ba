"""The engine against the sandbox over HTTP: findings both ways, one listing per target, failures."""

from __future__ import annotations

from collections import Counter

import pytest

from opsbook.core.checks import CHECKS
from opsbook.core.config import Account, Config
from opsbook.core.errors import Interrupted
from opsbook.core.models import Status, TargetKind
from opsbook.engine import service
from opsbook.engine.runner import execute
from opsbook.engine.selection import load_builtin, select
from opsbook.engine.targets import aws_targets
from opsbook.sandbox.estate import account as sandbox_account
from opsbook.store import runs
from opsbook.store.db import open_store

pytestmark = pytest.mark.usefixtures("sandbox")


def daily(cfg: Config, **kw):  # type: ignore[no-untyped-def]
    return service.run(cfg, service.RunRequest(scopes=["daily"], **kw))


def test_every_daily_aws_check_passes_and_fails_somewhere(sandbox_config: Config) -> None:
    result = daily(sandbox_config)
    load_builtin()
    seen: dict[str, set[Status]] = {}
    for f in result.findings:
        seen.setdefault(f.check_id, set()).add(f.status)
    daily_aws = [s for s in CHECKS if "daily" in s.cadence and s.target_kind is TargetKind.AWS]
    assert len(daily_aws) >= 8  # the daily AWS checks
    for spec in daily_aws:
        assert {Status.PASS, Status.FAIL} <= seen.get(spec.id, set()), f"{spec.id}: {seen.get(spec.id)}"
    assert not [f for f in result.findings if f.status is Status.ERROR]
    assert result.exit_code(sandbox_config.run.fail_on) == 1


def test_each_listing_is_called_once_per_target(sandbox_config: Config) -> None:
    result = daily(sandbox_config)
    listings = (
        "DescribeAlarms",
        "DescribeDBInstances",
        "ListClusters",
        "GetRestApis",
        "DescribeLogGroups",
        "GetAnomalies",
    )
    for target in ("aws:dev/us-east-1", "aws:staging/us-east-1", "aws:prod/us-east-1"):
        calls = result.api_calls[target]
        for op in listings:
            matching = [n for name, n in calls.items() if name.endswith(":" + op)]
            assert matching == [1], f"{target} {op}: {calls}"
        # the two metric collectors batch every metric into one GetMetricData each
        assert calls["cloudwatch:GetMetricData"] == 2


def test_unreachable_account_among_three_others_complete(sandbox_config: Config) -> None:
    broken = Account(
        name="broken",
        id="444444444444",
        role_arn="arn:aws:iam::444444444444:role/x",
        endpoint_url="http://127.0.0.1:9",
    )
    cfg = sandbox_config.model_copy(update={"accounts": [*sandbox_config.accounts, broken]})
    result = daily(cfg)
    assert [o.target.key for o in result.failed_targets] == ["aws:broken/us-east-1"]
    broken_findings = [f for f in result.findings if f.target.account == "broken"]
    assert broken_findings and all(f.status is Status.ERROR for f in broken_findings)
    assert "unreachable" in broken_findings[0].message
    others = [f for f in result.findings if f.target.kind is TargetKind.AWS and f.target.account != "broken"]
    assert {f.target.account for f in others} == {"dev", "staging", "prod"}
    assert not [f for f in others if f.status is Status.ERROR]
    assert result.exit_code(cfg.run.fail_on) == 3


def test_denied_permission_is_error_never_pass(sandbox, sandbox_config: Config) -> None:  # type: ignore[no-untyped-def]
    prod = sandbox_account("prod").id
    sandbox.data.deny(prod, "rds:DescribeDBInstances")
    try:
        result = daily(sandbox_config)
    finally:
        sandbox.data.denied.clear()
    prod_rds = [f for f in result.findings if f.target.account == "prod" and f.check_id.startswith("rds.")]
    assert {f.check_id for f in prod_rds} == {"rds.cpu_high", "rds.instance_not_available"}
    assert all(f.status is Status.ERROR for f in prod_rds)
    assert all("missing permission rds:DescribeDBInstances" in f.message for f in prod_rds)
    assert prod_rds[0].details["missing_permission"] == "rds:DescribeDBInstances"
    dev_rds = [f for f in result.findings if f.target.account == "dev" and f.check_id.startswith("rds.")]
    assert dev_rds and all(f.status is Status.PASS for f in dev_rds)
    assert not result.failed_targets  # a denied permission is not a dead target
    assert result.exit_code(sandbox_config.run.fail_on) == 3


def test_new_resolved_and_still_failing_across_two_runs(sandbox_config: Config) -> None:
    first = daily(sandbox_config)
    assert first.previous_run_id is None
    cfg2 = sandbox_config.model_copy(
        update={
            "checks": {
                "rds.cpu_high": {"cpu_percent": 95},  # prod's 93 % no longer fails -> resolved
                "apigateway.errors_latency": {"max_5xx_percent": 0.1},  # dev/staging 0.2 % now fail -> new
            }
        }
    )
    second = daily(cfg2)
    assert second.previous_run_id == first.run_id
    failing = {f.uid: f for f in first.findings + second.findings if f.status is Status.FAIL}
    new = {(failing[u].check_id, failing[u].target.account) for u in second.diff["new"]}
    resolved = {(failing[u].check_id, failing[u].target.account) for u in second.diff["resolved"]}
    assert new == {("apigateway.errors_latency", "dev"), ("apigateway.errors_latency", "staging")}
    assert resolved == {("rds.cpu_high", "prod")}
    still = Counter(failing[u].check_id for u in second.diff["still_failing"])
    assert still["cloudwatch.alarms_in_alarm"] == 1 and still["eks.nodegroup_unhealthy"] == 2


def test_findings_are_stored_per_target_and_ctrl_c_marks_interrupted(sandbox_config: Config) -> None:
    load_builtin()
    store = open_store(sandbox_config.storage.url)

    class StopAfterFirst:
        def started(self, run_id, targets):  # type: ignore[no-untyped-def]
            self.run_id = run_id

        def target_done(self, outcome):  # type: ignore[no-untyped-def]
            raise KeyboardInterrupt

    from opsbook.store.recorder import StoreRecorder

    obs = StopAfterFirst()
    with pytest.raises(Interrupted):
        execute(
            sandbox_config,
            "daily",
            select(["daily"]),
            aws_targets(sandbox_config),
            store=StoreRecorder(store),
            observer=obs,
            concurrency=1,
        )
    stored = runs.get_run(store, run_id=obs.run_id)
    assert stored["status"] == "interrupted"
    assert len(stored["target_results"]) == 1  # the finished target was written before the stop
    assert stored["findings"]
    store.close()
