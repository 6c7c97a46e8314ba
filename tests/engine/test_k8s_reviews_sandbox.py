"""The Kubernetes parts of the weekly and monthly reviews against the sandbox's `my-cluster`: both ways."""

from __future__ import annotations

import pytest

from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service

pytestmark = pytest.mark.usefixtures("sandbox")

REVIEWS = ("k8s.velero_backups", "k8s.hpa_weekly_review", "k8s.pods_per_node")


def by_check(result: service.RunResult) -> dict[str, dict[Status, set[str]]]:
    out: dict[str, dict[Status, set[str]]] = {}
    for f in result.findings:
        if f.target.cluster == "my-cluster":
            out.setdefault(f.check_id, {}).setdefault(f.status, set()).add(
                f.resource.id if f.resource else ""
            )
    return out


def test_k8s_reviews_pass_and_fail(sandbox_config: Config) -> None:
    result = service.run(sandbox_config, service.RunRequest(check_ids=list(REVIEWS)))
    seen = by_check(result)
    for cid in REVIEWS:
        assert {Status.PASS, Status.FAIL} <= set(seen.get(cid, {})), f"{cid}: {seen.get(cid)}"
        assert Status.ERROR not in seen[cid], seen[cid]
    velero = seen["k8s.velero_backups"]
    assert velero[Status.PASS] == {"velero/daily-backup"}
    failing = velero[Status.FAIL]
    assert "velero/weekly-full" in failing and len(failing) == 3  # + the Failed and PartiallyFailed backups
    assert seen["k8s.hpa_weekly_review"][Status.FAIL] == {"production/my-app"}
    assert seen["k8s.hpa_weekly_review"][Status.PASS] == {"production/myapp", "production/payments"}
    assert seen["k8s.pods_per_node"][Status.FAIL] == {"ip-10-0-2-24.ec2.internal"}
    calls = result.api_calls["k8s:my-cluster"]
    assert calls["k8s:list backups.velero.io"] == 1 and calls["k8s:list nodes"] == 1


def test_k8s_reviews_follow_the_calendar(sandbox_config: Config) -> None:
    tuesday = by_check(service.run(sandbox_config, service.RunRequest(scopes=["weekly:tuesday"])))
    assert "k8s.velero_backups" in tuesday and "k8s.hpa_weekly_review" not in tuesday
    wednesday = by_check(service.run(sandbox_config, service.RunRequest(scopes=["weekly:wednesday"])))
    assert Status.FAIL in wednesday["k8s.hpa_weekly_review"] and "k8s.velero_backups" not in wednesday
    capacity = by_check(service.run(sandbox_config, service.RunRequest(scopes=["monthly:capacity"])))
    assert set(capacity) == {"k8s.pods_per_node"}


def test_velero_listing_denied_is_error_naming_the_permission(sandbox, sandbox_config: Config) -> None:  # type: ignore[no-untyped-def]
    sandbox.kube.forbid("list", "backups", group="velero.io")
    try:
        result = service.run(sandbox_config, service.RunRequest(check_ids=["k8s.velero_backups"]))
    finally:
        sandbox.kube.allow_all()
    [err] = [f for f in result.findings if f.check_id == "k8s.velero_backups"]
    assert err.status is Status.ERROR and "list backups.velero.io" in err.message
