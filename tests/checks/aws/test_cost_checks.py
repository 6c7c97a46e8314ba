"""Pure tests of the weekly cost checks on hand-built inventory (no servers)."""

from __future__ import annotations

from datetime import timedelta

from opsbook.checks.aws import pricing
from opsbook.collect.aws.cost_models import (
    Bucket,
    BucketSize,
    EbsSnapshot,
    EbsVolume,
    ElasticIp,
    LbTraffic,
    LoadBalancer,
)
from opsbook.core.models import Status
from tests.checks.helpers import NOW, by_status, run_check

OLD = NOW - timedelta(days=120)


def test_unattached_volumes_fail_with_saving_and_keep_young_and_tagged_ones() -> None:
    vols = [
        EbsVolume(id="vol-orphan", size_gb=100, type="gp2", state="available", created_at=OLD),
        EbsVolume(
            id="vol-young", size_gb=20, type="gp3", state="available", created_at=NOW - timedelta(days=1)
        ),
        EbsVolume(
            id="vol-kept",
            size_gb=5,
            type="gp3",
            state="available",
            created_at=OLD,
            tags={"opsbook:keep": "true"},
        ),
        EbsVolume(id="vol-used", size_gb=50, type="gp3", state="in-use", created_at=OLD, attached_to=["i-1"]),
    ]
    got = by_status(run_check("ec2.unattached_volumes", {"ec2.volumes": vols}))
    [fail] = got[Status.FAIL]
    assert fail.resource and fail.resource.id == "vol-orphan"
    assert fail.details["saving_usd_month"] == 10.0  # 100 GiB gp2 at $0.10 in us-east-1
    assert (
        fail.details["age_days"] == 120
        and fail.proposal is not None
        and fail.proposal.action == "delete-volume"
    )
    assert "prices.json us-east-1" in fail.details["price_source"]
    assert len(got[Status.PASS]) == 3
    got = by_status(run_check("ec2.unattached_volumes", {"ec2.volumes": vols}, {"min_age_days": 0}))
    assert {f.resource.id for f in got[Status.FAIL] if f.resource} == {"vol-orphan", "vol-young"}


def test_unassociated_addresses() -> None:
    addrs = [
        ElasticIp(
            allocation_id="eipalloc-1", public_ip="1.2.3.4", association_id="eipassoc-1", instance_id="i-1"
        ),
        ElasticIp(allocation_id="eipalloc-2", public_ip="1.2.3.5"),
    ]
    got = by_status(run_check("ec2.unassociated_addresses", {"ec2.addresses": addrs}))
    assert [f.resource.id for f in got[Status.FAIL] if f.resource] == ["eipalloc-2"]
    assert got[Status.FAIL][0].details["saving_usd_month"] == 3.65  # $0.005 x 730 h
    assert len(got[Status.PASS]) == 1


def test_old_snapshots_skip_ami_and_recent_ones() -> None:
    snaps = [
        EbsSnapshot(id="snap-old", volume_id="vol-x", size_gb=100, started_at=NOW - timedelta(days=200)),
        EbsSnapshot(id="snap-ami", size_gb=8, started_at=NOW - timedelta(days=200), used_by_images=["ami-1"]),
        EbsSnapshot(id="snap-new", size_gb=8, started_at=NOW - timedelta(days=3)),
    ]
    got = by_status(run_check("ec2.old_snapshots", {"ec2.snapshots": snaps}))
    assert [f.resource.id for f in got[Status.FAIL] if f.resource] == ["snap-old"]
    assert got[Status.FAIL][0].details["saving_usd_month"] == 5.0
    got = by_status(run_check("ec2.old_snapshots", {"ec2.snapshots": snaps}, {"older_than_days": 365}))
    assert not got[Status.FAIL]


def test_idle_load_balancers() -> None:
    lbs = [
        LoadBalancer(
            arn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/idle/1",
            name="idle",
            type="application",
            created_at=OLD,
        ),
        LoadBalancer(
            arn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/busy/2",
            name="busy",
            type="application",
            created_at=OLD,
        ),
        LoadBalancer(
            arn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/new/3",
            name="new",
            type="application",
            created_at=NOW,
        ),
    ]
    traffic = {
        lbs[0].arn: LbTraffic(requests=12),
        lbs[1].arn: LbTraffic(requests=150_000, processed_bytes=6e8),
    }
    got = by_status(
        run_check("elbv2.idle_load_balancers", {"elbv2.load_balancers": lbs, "elbv2.traffic_7d": traffic})
    )
    assert [f.resource.name for f in got[Status.FAIL] if f.resource] == ["idle"]
    assert got[Status.FAIL][0].details["saving_usd_month"] == 16.43  # $0.0225 x 730 h
    assert lbs[0].metric_dimension == "app/idle/1"
    assert len(got[Status.PASS]) == 2  # busy, and too new to judge


def test_buckets_without_intelligent_tiering() -> None:
    buckets = [
        Bucket(name="big", region="us-east-1"),
        Bucket(name="tiered", region="us-east-1", tiering_configs=["x"]),
        Bucket(name="small", region="us-east-1"),
        Bucket(name="unknown", region="us-east-1"),
    ]
    gib = pricing.GIB
    sizes = {
        "big": BucketSize(standard_bytes=1000 * gib, objects=0),
        "tiered": BucketSize(standard_bytes=1000 * gib),
        "small": BucketSize(standard_bytes=gib),
    }
    got = by_status(run_check("s3.no_intelligent_tiering", {"s3.buckets": buckets, "s3.bucket_sizes": sizes}))
    [fail] = got[Status.FAIL]
    assert fail.resource and fail.resource.id == "big"
    assert fail.details["saving_usd_month"] == 5.25  # 1000 GiB x 50 % x ($0.023 - $0.0125)
    assert len(got[Status.PASS]) == 2  # tiered, and one summary for small/unknown


def test_price_table_falls_back_to_us_east_1_and_says_so() -> None:
    assert pricing.ebs_volume_month("eu-west-1", "gp3", 100) == 8.8
    assert pricing.ebs_volume_month("xx-nowhere-1", "gp3", 100) == 8.0
    assert "no prices for xx-nowhere-1" in pricing.source("xx-nowhere-1")
    assert pricing.table()["as_of"]
    assert pricing.is_kept({"opsbook:keep": "TRUE"}, "opsbook:keep=true")
    assert pricing.is_kept({"keep": "x"}, "keep") and not pricing.is_kept({}, "keep")
