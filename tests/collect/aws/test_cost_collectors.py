"""The weekly cost collectors and checks against the seeded sandbox (read-only)."""

from __future__ import annotations

import pytest

from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service

COST_CHECKS = (
    "ec2.unattached_volumes",
    "ec2.unassociated_addresses",
    "ec2.old_snapshots",
    "elbv2.idle_load_balancers",
    "s3.no_intelligent_tiering",
)


@pytest.mark.usefixtures("sandbox")
def test_cost_checks_fire_both_ways_with_one_listing_each(sandbox_config: Config) -> None:
    result = service.run(sandbox_config, service.RunRequest(check_ids=list(COST_CHECKS), accounts=["dev"]))
    assert not [f for f in result.findings if f.status is Status.ERROR]
    failing = {
        (f.check_id, (f.resource.name or f.resource.id) if f.resource else "")
        for f in result.findings
        if f.status is Status.FAIL
    }
    names = {name for _, name in failing}
    assert {"orphaned-data", "spare-ip", "legacy-alb", "mycompany-dev-archive"} <= names
    assert {c for c, _ in failing} == set(COST_CHECKS)
    passing = " ".join(f.message for f in result.findings if f.status is Status.PASS)
    assert "kept (opsbook:keep=true)" in passing and "used by ami-" in passing and "web-alb" in passing
    assert all(f.details["saving_usd_month"] > 0 for f in result.findings if f.status is Status.FAIL)
    calls = result.api_calls["aws:dev/us-east-1"]
    for op in (
        "ec2:DescribeVolumes",
        "ec2:DescribeSnapshots",
        "ec2:DescribeImages",
        "elbv2:DescribeLoadBalancers",
        "s3:ListBuckets",
    ):
        assert calls[op] == 1, (op, calls)
    assert calls["cloudwatch:GetMetricData"] == 2  # LB traffic + bucket sizes, each one batch
