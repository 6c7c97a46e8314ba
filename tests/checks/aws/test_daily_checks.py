"""Pure tests of the daily AWS checks on hand-built inventories."""

from __future__ import annotations

from datetime import UTC, datetime

from opsbook.collect.aws.models import (
    Alarm,
    ApiMetrics,
    CostAnomaly,
    DbInstance,
    EksCluster,
    LogSample,
    MetricSummary,
    NodeGroup,
    RestApi,
)
from opsbook.core.models import Severity, Status
from tests.checks.helpers import by_status, run_check


def db(i: str, status: str = "available") -> DbInstance:
    return DbInstance(
        id=i,
        arn=f"arn:aws:rds:us-east-1:1:db:{i}",
        status=status,
        instance_class="db.r5.large",
        engine="postgres",
    )


def test_alarms_in_alarm_fails_only_alarming_ones() -> None:
    since = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    out = run_check(
        "cloudwatch.alarms_in_alarm",
        {
            "cloudwatch.alarms": [
                Alarm(
                    name="cpu",
                    arn="a1",
                    state="ALARM",
                    namespace="AWS/RDS",
                    metric="CPUUtilization",
                    reason="crossed",
                    updated_at=since,
                ),
                Alarm(name="ok", arn="a2", state="OK"),
                Alarm(name="nodata", arn="a3", state="INSUFFICIENT_DATA"),
            ]
        },
    )
    s = by_status(out)
    assert [f.resource.id for f in s[Status.FAIL]] == ["cpu"]
    assert s[Status.FAIL][0].details["since"] == since.isoformat()
    assert "AWS/RDS/CPUUtilization" in s[Status.FAIL][0].message
    assert {f.resource.id for f in s[Status.PASS]} == {"ok", "nodata"}


def test_rds_not_available() -> None:
    out = run_check("rds.instance_not_available", {"rds.instances": [db("a"), db("b", "stopped")]})
    s = by_status(out)
    assert [f.resource.id for f in s[Status.FAIL]] == ["b"]
    assert s[Status.FAIL][0].details == {"status": "stopped", "class": "db.r5.large", "engine": "postgres"}
    assert [f.resource.id for f in s[Status.PASS]] == ["a"]


def test_rds_cpu_threshold_from_settings_and_missing_data_is_skipped() -> None:
    inv = {
        "rds.instances": [db("hot"), db("cool"), db("silent")],
        "rds.cpu_1h": {
            "hot": MetricSummary(average=85.0, maximum=99.0, datapoints=12),
            "cool": MetricSummary(average=40.0, maximum=50.0, datapoints=12),
        },
    }
    s = by_status(run_check("rds.cpu_high", inv))
    assert [f.resource.id for f in s[Status.FAIL]] == ["hot"]
    assert [f.resource.id for f in s[Status.SKIPPED]] == ["silent"]
    s = by_status(run_check("rds.cpu_high", inv, {"cpu_percent": 30}))
    assert {f.resource.id for f in s[Status.FAIL]} == {"hot", "cool"}


def ng(
    name: str, status: str = "ACTIVE", desired: int = 2, mx: int = 4, issues: list[str] | None = None
) -> NodeGroup:
    return NodeGroup(
        name=name, arn=name, status=status, desired=desired, min=1, max=mx, health_issues=issues or []
    )


def test_eks_cluster_and_nodegroups() -> None:
    clusters = [
        EksCluster(
            name="a",
            arn="a",
            status="ACTIVE",
            version="1.29",
            nodegroups=[ng("ok"), ng("full", desired=4, mx=4)],
        ),
        EksCluster(
            name="b",
            arn="b",
            status="UPDATING",
            nodegroups=[ng("sick", "DEGRADED", issues=["AsgInstanceLaunchFailures: x"])],
        ),
    ]
    s = by_status(run_check("eks.cluster_not_active", {"eks.clusters": clusters}))
    assert [f.resource.id for f in s[Status.FAIL]] == ["b"]
    assert [f.resource.id for f in s[Status.PASS]] == ["a"]
    s = by_status(run_check("eks.nodegroup_unhealthy", {"eks.clusters_with_nodegroups": clusters}))
    assert {f.resource.id for f in s[Status.FAIL]} == {"a/full", "b/sick"}
    sick = next(f for f in s[Status.FAIL] if f.resource.id == "b/sick")
    assert "DEGRADED" in sick.message and "AsgInstanceLaunchFailures" in sick.message
    assert [f.resource.id for f in s[Status.PASS]] == ["a/ok"]


def test_cost_anomalies_threshold_and_non_primary_region() -> None:
    anomalies = [
        CostAnomaly(id="big", start="2026-11-26", total_impact=500.0, max_impact=300.0, service="EC2"),
        CostAnomaly(id="small", start="2026-11-26", total_impact=2.0, max_impact=1.0),
    ]
    s = by_status(run_check("ce.cost_anomalies", {"ce.anomalies_1d": anomalies}))
    assert [f.resource.id for f in s[Status.FAIL]] == ["big"]
    assert [f.resource.id for f in s[Status.PASS]] == ["small"]
    assert run_check("ce.cost_anomalies", {"ce.anomalies_1d": None}) == []
    none = run_check("ce.cost_anomalies", {"ce.anomalies_1d": []})
    assert [f.status for f in none] == [Status.PASS]


def test_api_gateway_rate_latency_and_idle() -> None:
    apis = [
        RestApi(id="1", name="bad"),
        RestApi(id="2", name="good"),
        RestApi(id="3", name="idle"),
        RestApi(id="4", name="slow"),
    ]
    metrics = {
        "bad": ApiMetrics(count=1000, errors_5xx=50, latency_avg=100, latency_max=300),
        "good": ApiMetrics(count=1000, errors_5xx=1, latency_avg=100, latency_max=300),
        "slow": ApiMetrics(count=10, errors_5xx=0, latency_avg=2500, latency_max=4000),
    }
    s = by_status(
        run_check("apigateway.errors_latency", {"apigateway.apis": apis, "apigateway.metrics_1h": metrics})
    )
    assert {f.resource.id for f in s[Status.FAIL]} == {"bad", "slow"}
    bad = next(f for f in s[Status.FAIL] if f.resource.id == "bad")
    assert bad.details["error_rate_percent"] == 5.0
    assert {f.resource.id for f in s[Status.PASS]} == {"good", "idle"}


def test_log_review_counts_patterns_top_messages_and_rejects() -> None:
    samples = [
        LogSample(
            group="/aws/eks/c/cluster",
            kind="eks",
            messages=["ERROR db timeout 5000ms", "ERROR db timeout 7000ms", "fine"],
        ),
        LogSample(group="/aws/lambda/f", kind="lambda", messages=["all good"]),
        LogSample(group="/aws/vpc/flowlogs", kind="vpc-flow", messages=["x REJECT OK"] * 5 + ["x ACCEPT OK"]),
    ]
    s = by_status(run_check("logs.error_patterns", {"logs.last_hour": samples}, {"max_rejects": 4}))
    fails = {f.resource.id: f for f in s[Status.FAIL]}
    assert set(fails) == {"/aws/eks/c/cluster", "/aws/vpc/flowlogs"}
    top = fails["/aws/eks/c/cluster"].details["top_messages"]
    assert top == [{"message": "ERROR db timeout <n>ms", "count": 2}]
    assert fails["/aws/vpc/flowlogs"].details["rejects"] == 5
    assert [f.resource.id for f in s[Status.PASS]] == ["/aws/lambda/f"]


def test_finding_uid_is_stable_and_distinct() -> None:
    a = run_check("rds.instance_not_available", {"rds.instances": [db("x", "stopped")]})[0]
    b = run_check("rds.instance_not_available", {"rds.instances": [db("x", "stopped")]})[0]
    c = run_check("rds.instance_not_available", {"rds.instances": [db("y", "stopped")]})[0]
    assert a.uid == b.uid != c.uid
    assert a.severity is Severity.HIGH
