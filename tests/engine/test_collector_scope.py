"""Collector scope (issue 11 seams): account-wide inventory (IAM, Cost Explorer, the S3 bucket listing) is
collected once per account and shared by its region targets; account-wide checks report once per account,
on its first region in the run; a collector reads only the keys it declares."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import opsbook.collect
from opsbook.core.checks import CHECKS as REGISTRY
from opsbook.core.collectors import COLLECTORS, CollectorSpec, collector
from opsbook.core.config import Config
from opsbook.core.models import Status, Target, TargetKind
from opsbook.core.registry import Registry
from opsbook.engine import service
from opsbook.engine.inventory import CollectFailed, Inventory
from opsbook.engine.selection import load_builtin

CHECKS = [
    "s3.critical_bucket_replication",
    "s3.bucket_growth",
    "ce.cost_anomalies",
    "iam.console_without_mfa",
]


def two_regions(cfg: Config) -> Config:
    dev = cfg.account("dev").model_copy(update={"regions": ["us-east-1", "eu-west-1"]})
    return cfg.model_copy(update={"accounts": [dev], "stacks": None, "clusters": []})


@pytest.mark.usefixtures("sandbox")
def test_account_wide_listings_run_once_per_account(sandbox_config: Config) -> None:
    cfg = two_regions(sandbox_config)
    result = service.run(cfg, service.RunRequest(check_ids=CHECKS))
    assert not [f for f in result.findings if f.status is Status.ERROR], result.findings
    calls: Counter[str] = Counter()
    for per_target in result.api_calls.values():
        calls.update(per_target)
    assert calls["s3:ListBuckets"] == 1, result.api_calls
    assert calls["ce:GetAnomalies"] == 1, result.api_calls
    account_wide = {"s3.critical_bucket_replication", "ce.cost_anomalies", "iam.console_without_mfa"}
    regions = {f.target.region for f in result.findings if f.check_id in account_wide}
    assert regions == {"us-east-1"}  # reported once, on the account's first region
    # a run of the second region alone still reports them (its first region in this run)
    only_eu = service.run(cfg, service.RunRequest(check_ids=["ce.cost_anomalies"], regions=["eu-west-1"]))
    assert {f.target.region for f in only_eu.findings} == {"eu-west-1"}


def test_no_collector_looks_for_a_primary_region() -> None:
    root = Path(opsbook.collect.__file__).parent
    offenders = [p.name for p in root.rglob("*.py") if "primary_region" in p.read_text(encoding="utf-8")]
    assert not offenders


def test_a_collector_may_read_only_what_it_declares() -> None:
    reg: Registry[CollectorSpec] = Registry("t")
    collector("t.base", permissions=("ec2:DescribeVolumes",), registry=reg)(lambda ctx: [1])
    collector("t.sneaky", permissions=("cloudwatch:GetMetricData",), registry=reg)(
        lambda ctx: ctx.get("t.base")
    )
    collector("t.honest", permissions=("cloudwatch:GetMetricData",), deps=("t.base",), registry=reg)(
        lambda ctx: ctx.get("t.base") + [2]
    )
    target = Target(kind=TargetKind.AWS, account="a", region="us-east-1")
    inv = Inventory(target, Config(), datetime.now(UTC), lambda s: None, registry=reg)
    assert inv.get("t.honest") == [1, 2]
    with pytest.raises(CollectFailed, match="does not declare it"):
        inv.get("t.sneaky")


def test_collector_settings_come_validated_from_the_checks_section() -> None:
    load_builtin()
    spec = COLLECTORS.get("s3.critical_replication")
    assert spec.settings is not None and spec.scope == "account"
    assert REGISTRY.get(spec.settings.check_id).settings is spec.settings.model  # one model, one default
    seen: list[Any] = []
    reg: Registry[CollectorSpec] = Registry("t")
    collector(
        "t.reads", permissions=("s3:GetReplicationConfiguration",), settings=spec.settings, registry=reg
    )(lambda ctx: seen.append(ctx.settings))
    cfg = Config.model_validate({"checks": {"s3.critical_bucket_replication": {"critical_buckets": ["x-*"]}}})
    target = Target(kind=TargetKind.AWS, account="a", region="us-east-1")
    Inventory(target, cfg, datetime.now(UTC), lambda s: None, registry=reg).get("t.reads")
    assert seen[0].critical_buckets == ["x-*"]
    Inventory(target, Config(), datetime.now(UTC), lambda s: None, registry=reg).get("t.reads")
    assert seen[1].critical_buckets == ["my-bucket", "my-bucket-*"]
