"""Fault injection: one bad account, cluster, endpoint or stacks tree costs only its own findings.

Each case breaks one thing in front of the sandbox (a proxy that throttles, delays, resets, answers
garbage or never answers; a cluster answering 500; a profile that does not exist) and checks that every
other target's findings are exactly a clean run's, that the bad target is ERROR with one-line reasons,
and that the run exits 3 (or, where retries absorb the fault, that nothing changed at all).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from opsbook.core.config import Cluster, Config
from opsbook.core.models import Severity, Status
from opsbook.sandbox.faults import FaultProxy
from tests.engine.faults import assert_isolated, by_target, run, with_account

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def base(sandbox, tmp_path_factory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("faults")
    cfg = Config.model_validate(sandbox.config(f"sqlite:///{path}/opsbook.db"))
    return cfg.model_copy(update={"source": "(sandbox)"})


@pytest.fixture(scope="module")
def clean(base):  # type: ignore[no-untyped-def]
    result = run(base, store_enabled=False)
    keys = by_target(result)
    assert any(k.startswith("aws:dev/") for k in keys) and any(k.startswith("k8s:") for k in keys)
    assert not result.failed_targets and result.exit_code(Severity.CRITICAL) != 3
    return result


def test_profile_that_does_not_exist_fails_only_its_account(base, clean) -> None:  # type: ignore[no-untyped-def]
    cfg = with_account(base, "dev", profile="no-such", role_arn=None)
    result = run(cfg, store_enabled=False)
    assert_isolated(clean, result, "aws:dev/")
    dev = [o for o in result.outcomes if o.target.key.startswith("aws:dev/")]
    assert all(o.error and "no-such" in o.error for o in dev), [o.error for o in dev]


def test_endpoint_answering_empty_200_fails_only_its_account(base, clean) -> None:  # type: ignore[no-untyped-def]
    with FaultProxy(mode="garbage") as proxy:
        result = run(with_account(base, "dev", endpoint_url=proxy.url), store_enabled=False)
    assert_isolated(clean, result, "aws:dev/")
    assert proxy.counts["garbage"] >= 1


def test_one_service_answering_garbage_fails_only_its_checks(base, clean) -> None:  # type: ignore[no-untyped-def]
    """A non-AWS answer from EC2 alone: dev's EC2 check is ERROR, dev's other checks are as clean."""
    with FaultProxy(base.aws.endpoint_url, mode="garbage", only={"ec2"}, body=b"\x00\xff not xml {") as proxy:
        result = run(with_account(base, "dev", endpoint_url=proxy.url), store_enabled=False)
    dev = next(o for o in result.outcomes if o.target.key == "aws:dev/us-east-1")
    ec2 = [f for f in dev.findings if f.check_id == "ec2.unattached_volumes"]
    assert ec2 and {f.status for f in ec2} == {Status.ERROR}
    assert "not an AWS response" in ec2[0].message
    others = {(f.uid, f.status.value) for f in dev.findings if f.check_id != "ec2.unattached_volumes"}
    clean_dev = next(o for o in clean.outcomes if o.target.key == "aws:dev/us-east-1")
    assert others == {
        (f.uid, f.status.value) for f in clean_dev.findings if f.check_id != "ec2.unattached_volumes"
    }
    assert dev.error is None  # the account answered: it is not "unavailable"
    assert result.exit_code(Severity.CRITICAL) == 3


def test_connection_resets_fail_only_their_account(base, clean) -> None:  # type: ignore[no-untyped-def]
    with FaultProxy(base.aws.endpoint_url, mode="reset") as proxy:
        result = run(with_account(base, "dev", endpoint_url=proxy.url), store_enabled=False)
    assert_isolated(clean, result, "aws:dev/")
    assert all(
        o.error and "unreachable" in o.error for o in result.outcomes if o.target.key.startswith("aws:dev/")
    )


def test_black_holed_account_is_reported_within_15_seconds(base, clean) -> None:  # type: ignore[no-untyped-def]
    """An endpoint that accepts and never answers: default timeouts report it in ~10 s, not 90 s."""
    assert base.run.preflight_timeout == 5.0  # the default is what is measured
    with FaultProxy(mode="blackhole") as proxy:
        t0 = time.monotonic()
        result = run(with_account(base, "dev", endpoint_url=proxy.url), store_enabled=False)
        elapsed = time.monotonic() - t0
    assert_isolated(clean, result, "aws:dev/")
    assert elapsed < 15, f"black-holed account took {elapsed:.1f} s"


def test_throttling_at_30_percent_is_absorbed_by_retries(base, clean) -> None:  # type: ignore[no-untyped-def]
    """Service-correct throttling on 30% of dev's calls: the default 8 attempts absorb it all."""
    cfg = with_account(base, "dev", endpoint_url=None)
    cfg = cfg.model_copy(update={"aws": cfg.aws.model_copy(update={"max_attempts": 8})})
    with FaultProxy(base.aws.endpoint_url, mode="throttle", rate=0.3, seed=7) as proxy:
        result = run(with_account(cfg, "dev", endpoint_url=proxy.url), store_enabled=False)
    assert proxy.counts["throttle"] >= 3, proxy.counts
    assert by_target(result) == by_target(clean)
    assert result.exit_code(Severity.CRITICAL) == clean.exit_code(Severity.CRITICAL)


def test_slow_endpoint_changes_nothing(base, clean) -> None:  # type: ignore[no-untyped-def]
    with FaultProxy(base.aws.endpoint_url, mode="delay", delay=0.2) as proxy:
        result = run(with_account(base, "dev", endpoint_url=proxy.url), store_enabled=False)
    assert proxy.counts["delay"] >= 3
    assert by_target(result) == by_target(clean)


def test_cluster_answering_500_fails_only_that_cluster(base, clean, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from opsbook.sandbox.k8s import write_kubeconfig

    with FaultProxy(mode="http500") as proxy:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", proxy.url, "token", "broken")
        broken = Cluster(name="broken", kubeconfig=str(kubeconfig), context="broken")
        cfg = base.model_copy(update={"clusters": [*base.clusters, broken]})
        result = run(cfg, store_enabled=False)
    assert_isolated(clean, result, "k8s:broken")
    outcome = next(o for o in result.outcomes if o.target.key == "k8s:broken")
    assert outcome.error and "500" in outcome.error and "\n" not in outcome.error


def test_black_holed_cluster_is_reported_within_15_seconds(base, clean, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from opsbook.sandbox.k8s import write_kubeconfig

    with FaultProxy(mode="blackhole") as proxy:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", proxy.url, "token", "silent")
        silent = Cluster(name="silent", kubeconfig=str(kubeconfig), context="silent")
        t0 = time.monotonic()
        result = run(base.model_copy(update={"clusters": [*base.clusters, silent]}), store_enabled=False)
        elapsed = time.monotonic() - t0
    assert_isolated(clean, result, "k8s:silent")
    outcome = next(o for o in result.outcomes if o.target.key == "k8s:silent")
    assert outcome.error and "unreachable" in outcome.error
    assert elapsed < 15, f"black-holed cluster took {elapsed:.1f} s"
