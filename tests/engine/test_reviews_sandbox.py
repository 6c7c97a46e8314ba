"""Performance, cost, capacity and compliance reviews against the sandbox: every check both ways."""

from __future__ import annotations

import pytest

from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service

pytestmark = pytest.mark.usefixtures("sandbox")

WEEKLY = (
    "apigateway.latency_weekly",
    "rds.slow_queries",
    "ce.weekly_cost_by_service",
    "ec2.underutilised_instances",
    "rds.underutilised_instances",
    "ce.reservation_utilization",
    "ce.weekly_cost_anomalies",
)
MONTHLY = (
    "eks.nodegroup_headroom",
    "rds.storage_capacity",
    "s3.bucket_growth",
    "ce.cost_forecast",
    "config.compliance_report",
)


def statuses(result: service.RunResult) -> dict[str, dict[Status, set[str]]]:
    out: dict[str, dict[Status, set[str]]] = {}
    for f in result.findings:
        where = f"{f.target.account}:{f.resource.id if f.resource else ''}"
        out.setdefault(f.check_id, {}).setdefault(f.status, set()).add(where)
    return out


def test_wednesday_and_thursday_reviews_pass_and_fail(sandbox_config: Config) -> None:
    result = service.run(sandbox_config, service.RunRequest(scopes=["weekly:wednesday", "weekly:thursday"]))
    seen = statuses(result)
    for cid in WEEKLY:
        assert {Status.PASS, Status.FAIL} <= set(seen.get(cid, {})), f"{cid}: {seen.get(cid)}"
        assert Status.ERROR not in seen[cid], seen[cid][Status.ERROR]
    assert seen["apigateway.latency_weekly"][Status.FAIL] == {"prod:my-api"}
    assert seen["rds.slow_queries"][Status.FAIL] == {"prod:my-database", "staging:my-database-reporting"}
    assert seen["ce.weekly_cost_by_service"][Status.FAIL] == {"prod:Amazon Elastic Compute Cloud - Compute"}
    assert seen["rds.underutilised_instances"][Status.FAIL] == {"staging:my-database"}
    assert seen["ce.reservation_utilization"][Status.FAIL] == {"prod:reservations:333333333333"}

    latency = next(
        f for f in result.findings if f.check_id == "apigateway.latency_weekly" and f.target.account == "prod"
    )
    d = latency.details  # the performance section: p50/p95 from CloudWatch's extended statistics
    assert d["latency_p50_ms"] < d["latency_p95_ms"] <= d["latency_max_ms"] and d["days"] >= 7
    slow = next(f for f in result.findings if f.check_id == "rds.slow_queries" and f.target.account == "prod")
    top = slow.details["top_statements"][0]
    assert top["statement"] == "SELECT * FROM orders WHERE customer_id = ? ORDER BY created_at"
    assert top["count"] == 14 and top["max_ms"] == 9250.0
    mysql = next(
        f
        for f in result.findings
        if f.check_id == "rds.slow_queries"
        and f.target.account == "staging"
        and f.resource
        and f.resource.id == "my-database-reporting"
    )
    assert mysql.details["files"] == ["slowquery/mysql-slowquery.log"]  # the 10-day-old file is left out
    assert mysql.details["top_statements"][0]["count"] == 3

    prod = result.api_calls["aws:prod/us-east-1"]
    assert prod["rds:DownloadDBLogFilePortion"] >= 3  # two files, the first one over several portions
    assert prod["ce:GetCostAndUsage"] == 2  # 14 daily results over two pages
    # apigateway.latency_7d, rds.utilisation_7d, ec2.cpu_7d, elbv2.traffic_7d, s3.bucket_sizes: one batch each
    assert prod["cloudwatch:GetMetricData"] == 5


def test_capacity_and_compliance_pass_fail_and_export(sandbox_config: Config) -> None:
    result = service.run(
        sandbox_config, service.RunRequest(scopes=["monthly:capacity", "monthly:compliance"])
    )
    seen = statuses(result)
    for cid in MONTHLY:
        assert {Status.PASS, Status.FAIL} <= set(seen.get(cid, {})), f"{cid}: {seen.get(cid)}"
        assert Status.ERROR not in seen[cid], seen[cid][Status.ERROR]
    assert seen["eks.nodegroup_headroom"][Status.FAIL] == {"prod:my-cluster/application"}
    assert seen["rds.storage_capacity"][Status.FAIL] == {"prod:my-database", "staging:my-database-reporting"}
    assert seen["s3.bucket_growth"][Status.FAIL] == {"prod:my-bucket-prod"}
    assert seen["ce.cost_forecast"][Status.FAIL] == {"prod:forecast:333333333333"}
    assert seen["config.compliance_report"][Status.FAIL] == {"prod:config:333333333333"}
    exported = result.extras["exports"]["config.compliance_by_rule"]
    assert set(exported) == {"aws:dev/us-east-1", "aws:staging/us-east-1", "aws:prod/us-east-1"}
    assert {r["ConfigRuleName"] for r in exported["aws:prod/us-east-1"]} >= {"restricted-ssh"}


def test_monthly_summary_over_two_sandbox_runs(sandbox_config: Config) -> None:
    from datetime import UTC

    from opsbook.reports import monthly
    from opsbook.store import summary
    from opsbook.store.db import open_store

    first = service.run(sandbox_config, service.RunRequest(scopes=["daily"]))
    relaxed = sandbox_config.model_copy(update={"checks": {"rds.cpu_high": {"cpu_percent": 95}}})
    second = service.run(relaxed, service.RunRequest(scopes=["daily"]))
    store = open_store(sandbox_config.storage.url)
    try:
        # every failing check, not the default top 10: which checks rank first depends on how many
        # resources each fails on, and the seed may add one
        month = first.started_at.astimezone(UTC).strftime("%Y-%m")
        s = summary.monthly_summary(store, month=month, top=100)
    finally:
        store.close()
    assert s["runs"]["total"] == 2 and s["runs"]["by_scope"] == {"daily": 2}
    failing_first = {f.uid for f in first.findings if f.status is Status.FAIL}
    assert s["findings"]["opened"] == len(failing_first)
    assert s["findings"]["resolved"] == len(second.diff["resolved"]) >= 1  # prod's rds.cpu_high
    assert "medium" in s["mean_time_to_resolve"]
    top = {t["check_id"]: t for t in s["top_recurring_checks"]}
    assert top["cloudwatch.alarms_in_alarm"]["failed_runs"] == 2
    assert "## Mean time to resolve" in monthly.render(s)
