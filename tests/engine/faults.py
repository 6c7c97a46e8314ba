"""Helpers of the fault-injection suite: one clean run to compare with, and the isolation assertion."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opsbook.core.config import Config
from opsbook.core.models import Severity, Status
from opsbook.engine import service
from opsbook.engine.runner import RunResult

# One check per wire protocol the AWS checks speak (EC2, query, rpc-v2-cbor, JSON, REST-XML, REST-JSON),
# one Kubernetes check and the stacks check: every kind of target and client meets the fault.
CHECKS = [
    "ec2.unattached_volumes",  # ec2
    "rds.instance_not_available",  # query
    "cloudwatch.alarms_in_alarm",  # smithy-rpc-v2-cbor
    "ce.cost_anomalies",  # json
    "s3.critical_bucket_replication",  # rest-xml
    "eks.cluster_not_active",  # rest-json
    "k8s.node_not_ready",
    "atmos.stacks_valid",
]


def run(cfg: Config, checks: Iterable[str] = CHECKS, **kwargs: Any) -> RunResult:
    return service.run(cfg, service.RunRequest(check_ids=list(checks)), **kwargs)


def by_target(result: RunResult) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for o in result.outcomes:
        out.setdefault(o.target.key, set()).update((f.uid, f.status.value) for f in o.findings)
    return out


def with_account(cfg: Config, name: str, **changes: Any) -> Config:
    accounts = [a.model_copy(update=changes) if a.name == name else a for a in cfg.accounts]
    assert any(a.name == name for a in accounts), name
    return cfg.model_copy(update={"accounts": accounts})


def assert_isolated(clean: RunResult, faulty: RunResult, bad: str) -> None:
    """Targets whose key does not start with `bad` have exactly the clean run's findings; the bad ones
    have only ERROR findings, each with a one-line message; the run exits 3."""
    want, got = by_target(clean), by_target(faulty)
    bad_keys = {k for k in got if k.startswith(bad)}
    assert bad_keys, f"no target matches {bad!r}: {sorted(got)}"
    for key in set(want) - bad_keys:
        assert got.get(key) == want[key], f"{key}: findings differ from the clean run"
    for o in faulty.outcomes:
        if o.target.key in bad_keys:
            assert o.findings, o.target.key
            assert {f.status for f in o.findings} == {Status.ERROR}, o.target.key
    for f in faulty.findings:
        assert "\n" not in f.message and "\u2028" not in f.message, f.message
    assert faulty.exit_code(Severity.CRITICAL) == 3
