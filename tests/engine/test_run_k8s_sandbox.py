"""`run daily` over AWS and Kubernetes together against the sandbox (EKS token path end to end)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.core.checks import CHECKS
from opsbook.core.config import Cluster, Config
from opsbook.core.models import Status, TargetKind
from opsbook.engine import service
from opsbook.engine.selection import load_builtin

pytestmark = pytest.mark.usefixtures("sandbox")


def daily(cfg: Config, **kw):  # type: ignore[no-untyped-def]
    return service.run(cfg, service.RunRequest(scopes=["daily"], **kw))


def test_one_run_covers_aws_and_every_k8s_check_both_ways(sandbox_config: Config) -> None:
    result = daily(sandbox_config)
    keys = {o.target.key for o in result.outcomes}
    assert {"aws:prod/us-east-1", "k8s:my-cluster"} <= keys and not result.failed_targets
    load_builtin()
    seen: dict[str, set[Status]] = {}
    for f in result.findings:
        seen.setdefault(f.check_id, set()).add(f.status)
    k8s = [s.id for s in CHECKS if s.target_kind is TargetKind.K8S and "daily" in s.cadence]
    assert len(k8s) >= 13
    for cid in k8s:
        assert {Status.PASS, Status.FAIL} <= seen.get(cid, set()), f"{cid}: {seen.get(cid)}"
    assert not [f for f in result.findings if f.status is Status.ERROR]
    # the EKS path: describe_cluster counted under the cluster; each kind listed once
    calls = result.api_calls["k8s:my-cluster"]
    assert calls["eks:DescribeCluster"] == 1 and calls["k8s:get /version"] == 1
    assert calls["k8s:list pods"] == 1 and calls["k8s:list nodes"] == 1
    assert result.exit_code(sandbox_config.run.fail_on) == 1


def test_refusing_cluster_among_two_fails_alone(sandbox_config: Config, tmp_path: Path) -> None:
    from opsbook.sandbox.k8s import write_kubeconfig

    path = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:9", "t", "down")
    down = Cluster(name="down", kubeconfig=str(path), context="down")
    cfg = sandbox_config.model_copy(update={"clusters": [*sandbox_config.clusters, down]})
    result = daily(cfg)
    assert [o.target.key for o in result.failed_targets] == ["k8s:down"]
    dead = [f for f in result.findings if f.target.cluster == "down"]
    assert dead and all(f.status is Status.ERROR for f in dead)
    assert "endpoint unreachable" in dead[0].message
    alive = [f for f in result.findings if f.target.cluster == "my-cluster"]
    assert alive and not [f for f in alive if f.status is Status.ERROR]
    assert {f.target.account for f in result.findings if f.target.kind is TargetKind.AWS} == {
        "dev",
        "staging",
        "prod",
    }
    assert result.exit_code(cfg.run.fail_on) == 3


def test_rbac_forbidden_is_error_with_the_verb_and_resource(sandbox, sandbox_config: Config) -> None:  # type: ignore[no-untyped-def]
    sandbox.kube.forbid("list", "pods")
    try:
        result = daily(sandbox_config)
    finally:
        sandbox.kube.allow_all()
    k8s = [f for f in result.findings if f.target.key == "k8s:my-cluster"]
    errors = {f.check_id: f for f in k8s if f.status is Status.ERROR}
    assert {"k8s.pod_not_running", "k8s.container_restarts", "k8s.pod_missing_resources", "k8s.node_usage_high",
            "k8s.node_overcommitted", "k8s.app_log_errors"} <= set(errors)  # fmt: skip
    assert "missing permission list pods" in errors["k8s.pod_not_running"].message
    assert errors["k8s.pod_not_running"].details["missing_permission"] == "list pods"
    assert {f.status for f in k8s if f.check_id == "k8s.node_not_ready"} == {Status.PASS, Status.FAIL}
    assert not result.failed_targets and result.exit_code(sandbox_config.run.fail_on) == 3


def test_cluster_filter_and_unknown_cluster(sandbox_config: Config) -> None:
    from opsbook.core.errors import ConfigError

    result = service.run(
        sandbox_config, service.RunRequest(check_ids=["k8s.node_not_ready"], clusters=["my-cluster"])
    )
    assert {f.target.key for f in result.findings} == {"k8s:my-cluster"}
    with pytest.raises(ConfigError, match="--cluster nope"):
        service.run(sandbox_config, service.RunRequest(check_ids=["k8s.node_not_ready"], clusters=["nope"]))
