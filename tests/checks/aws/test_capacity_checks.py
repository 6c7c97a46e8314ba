"""Mid-month capacity planning and end-of-month compliance checks on hand-built inventory."""

from __future__ import annotations

from opsbook.collect.aws.cost_models import Bucket
from opsbook.collect.aws.models import DbInstance, EksCluster, NodeGroup
from opsbook.collect.aws.review_models import BucketGrowth, CostOutlook, DbStorage
from opsbook.core.models import Status
from tests.checks.helpers import by_status, run_check

GIB = 1024**3


def ng(name: str, desired: int, hi: int) -> NodeGroup:
    return NodeGroup(name=name, arn=f"arn:{name}", status="ACTIVE", desired=desired, min=1, max=hi)


def test_nodegroup_headroom() -> None:
    cluster = EksCluster(
        name="c",
        arn="arn:c",
        status="ACTIVE",
        nodegroups=[ng("system", 2, 4), ng("app", 9, 10), ng("full", 10, 10)],
    )
    out = by_status(run_check("eks.nodegroup_headroom", {"eks.clusters_with_nodegroups": [cluster]}))
    assert sorted(f.resource.id for f in out[Status.FAIL]) == ["c/app", "c/full"]
    assert [f.resource.id for f in out[Status.PASS]] == ["c/system"]
    app = next(f for f in out[Status.FAIL] if f.resource.id == "c/app")
    assert app.details["headroom_percent"] == 10.0
    # the fix: scale-nodegroup with the smallest max leaving 20% above 9 desired nodes (12: 25%; 11 is 18%)
    assert app.proposal is not None and app.proposal.procedure == "scale-nodegroup"
    assert app.proposal.params == {"cluster": "c", "nodegroup": "app", "max": 12}
    assert all(f.proposal is None for f in out[Status.PASS])
    relaxed = by_status(
        run_check(
            "eks.nodegroup_headroom",
            {"eks.clusters_with_nodegroups": [cluster]},
            {"min_headroom_percent": 10},
        )
    )
    assert [f.resource.id for f in relaxed[Status.FAIL]] == ["c/full"]


def test_rds_storage_capacity() -> None:
    def db(id: str, alloc: int, ceiling: int | None) -> DbInstance:
        return DbInstance(
            id=id,
            arn=f"arn:{id}",
            status="available",
            instance_class="db.t3.medium",
            engine="mysql",
            allocated_storage=alloc,
            max_allocated_storage=ceiling,
        )

    dbs = [
        db("ok", 100, 500),
        db("full", 100, 500),
        db("fixed", 20, None),
        db("near-ceiling", 400, 450),
        db("nodata", 100, 500),
    ]
    storage = {
        "ok": DbStorage(allocated_gb=100, max_allocated_gb=500, free_bytes=70 * GIB),
        "full": DbStorage(allocated_gb=100, max_allocated_gb=500, free_bytes=12 * GIB),
        "fixed": DbStorage(allocated_gb=20, max_allocated_gb=None, free_bytes=15 * GIB),
        "near-ceiling": DbStorage(allocated_gb=400, max_allocated_gb=450, free_bytes=20 * GIB),
        "nodata": DbStorage(allocated_gb=100, max_allocated_gb=500),
    }
    out = by_status(run_check("rds.storage_capacity", {"rds.instances": dbs, "rds.storage": storage}))
    fails = {f.resource.id: f for f in out[Status.FAIL]}
    assert sorted(fails) == ["fixed", "full", "near-ceiling"]
    assert "autoscaling is off" in fails["fixed"].message
    assert fails["full"].details["used_percent"] == 88.0
    assert "autoscaling ceiling" in fails["near-ceiling"].message
    assert [f.resource.id for f in out[Status.PASS]] == ["ok"]
    assert [f.resource.id for f in out[Status.SKIPPED]] == ["nodata"]
    lenient = run_check(
        "rds.storage_capacity",
        {"rds.instances": dbs[2:3], "rds.storage": storage},
        {"require_autoscaling": False},
    )
    assert lenient[0].status is Status.PASS


def test_s3_bucket_growth() -> None:
    buckets = [Bucket(name=n, region="us-east-1") for n in ("flat", "growing", "young", "empty", "tiny")]
    growth = {
        "flat": BucketGrowth(current_bytes=50 * GIB, month_ago_bytes=50 * GIB, datapoints=30),
        "growing": BucketGrowth(current_bytes=180 * GIB, month_ago_bytes=100 * GIB, datapoints=30),
        "young": BucketGrowth(current_bytes=5 * GIB, datapoints=3),
        "tiny": BucketGrowth(current_bytes=0.1 * GIB, month_ago_bytes=0.01 * GIB, datapoints=30),
    }
    out = by_status(run_check("s3.bucket_growth", {"s3.buckets": buckets, "s3.bucket_growth_30d": growth}))
    assert [f.resource.id for f in out[Status.FAIL]] == ["growing"]
    assert out[Status.FAIL][0].details["growth_percent"] == 80.0
    assert sorted(f.resource.id for f in out[Status.PASS]) == ["flat", "tiny", "young"]
    assert [f.resource.id for f in out[Status.SKIPPED]] == ["empty"]


def test_cost_forecast() -> None:
    def outlook(forecast: float | None) -> CostOutlook:
        return CostOutlook(
            this_month_start="2026-11-01", month_to_date=1300, last_month=3000, forecast_next_month=forecast
        )

    [f] = run_check("ce.cost_forecast", {"ce.cost_outlook": outlook(4500)})
    assert f.status is Status.FAIL and f.details["growth_percent"] == 50.0
    assert f.details["projected_this_month"] == round(1300 / 26 * 30, 2)  # helpers.NOW is 27 Nov
    assert run_check("ce.cost_forecast", {"ce.cost_outlook": outlook(3100)})[0].status is Status.PASS
    assert run_check("ce.cost_forecast", {"ce.cost_outlook": outlook(None)})[0].status is Status.SKIPPED
    assert run_check("ce.cost_forecast", {"ce.cost_outlook": None}) == []


def test_config_compliance_report() -> None:
    def rule(name: str, kind: str) -> dict:
        return {"ConfigRuleName": name, "Compliance": {"ComplianceType": kind}}

    good = [rule("a", "COMPLIANT"), rule("b", "COMPLIANT"), rule("c", "INSUFFICIENT_DATA")]
    [f] = run_check("config.compliance_report", {"config.compliance_by_rule": good})
    assert f.status is Status.PASS and f.details["compliant_percent"] == 100.0
    assert f.details["export"] == "compliance-202611.json"
    bad = good + [rule("restricted-ssh", "NON_COMPLIANT")]
    [f] = run_check("config.compliance_report", {"config.compliance_by_rule": bad})
    assert f.status is Status.FAIL and f.details["non_compliant_rules"] == ["restricted-ssh"]
    [f] = run_check(
        "config.compliance_report", {"config.compliance_by_rule": bad}, {"min_compliant_percent": 60}
    )
    assert f.status is Status.PASS
    assert (
        run_check("config.compliance_report", {"config.compliance_by_rule": []})[0].status is Status.SKIPPED
    )
