"""Throttling costs a run nothing: against the session sandbox with tight token buckets (throttling
certain), AWS checks find exactly what they find unthrottled, with no ERROR; with AWS's own numbers, under
5% of the calls are retries. The sandbox's model is put back afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service
from opsbook.sandbox.aws.model import load_model
from tests.sandbox.aws.stats import stats

# every AWS protocol opsbook reads: EC2, query (RDS, IAM), JSON (Secrets Manager, Logs), CBOR (CloudWatch), S3
CHECKS = [
    "ec2.unattached_volumes",
    "ec2.unused_security_groups",
    "ec2.unassociated_addresses",
    "rds.instance_not_available",
    "cloudwatch.alarms_in_alarm",
    "secretsmanager.secret_hygiene",
    "iam.inactive_users",
    "s3.no_intelligent_tiering",
    "logs.error_patterns",
]


def run(sandbox: Any) -> tuple[set[tuple[str, str, str]], list[Any], dict[str, Any]]:
    """(uid, status, message) of every finding, the ERROR findings, the sandbox's stats of the run."""
    raw = {k: v for k, v in sandbox.config().items() if k in ("aws", "accounts")}  # AWS only: no stacks
    cfg = Config.model_validate(raw).model_copy(update={"source": "(sandbox)"})
    stats(sandbox, "DELETE")
    result = service.run(cfg, service.RunRequest(check_ids=CHECKS), store_enabled=False)
    found = {(f.uid, f.status.value, f.message) for f in result.findings}
    return found, [f for f in result.findings if f.status is Status.ERROR], stats(sandbox)


@pytest.fixture(scope="module")
def unthrottled(sandbox: Any) -> set[tuple[str, str, str]]:
    found, errors, seen = run(sandbox)
    assert not errors and seen["throttled"] == 0
    return found


def test_tight_buckets_throttle_but_the_findings_are_the_same(
    sandbox: Any, unthrottled: set[tuple[str, str, str]]
) -> None:
    with sandbox.traffic.modelled(throttle="aws", model=load_model().with_buckets(2, 20)):
        found, errors, seen = run(sandbox)
    assert seen["throttled"] > 0, seen  # throttling certainly happened ...
    assert errors == []  # ... and cost nothing
    assert found == unthrottled


def test_with_aws_numbers_under_five_percent_of_calls_are_retries(
    sandbox: Any, unthrottled: set[tuple[str, str, str]]
) -> None:
    with sandbox.traffic.modelled(throttle="aws", model=load_model()):
        found, errors, seen = run(sandbox)
    assert errors == [] and found == unthrottled
    assert seen["calls"] > 0 and seen["retries"] <= 0.05 * seen["calls"], seen
