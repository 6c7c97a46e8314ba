"""The ClusterRole in deploy/ is what `opsbook k8s rbac` derives, and it is enough: every Kubernetes check run
against a fake API that grants only its rules sees what it sees with full access. A collector that reads
something it does not declare (so the ClusterRole lacks it) turns that run's findings into ERRORs here."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
import yaml

from opsbook.core.checks import CHECKS
from opsbook.core.models import Status, TargetKind
from opsbook.engine import k8s_rbac, service
from opsbook.engine.selection import load_builtin
from tests.deploy.manifests import KUBERNETES

CLUSTER_ROLE = KUBERNETES / "base" / "clusterrole.yaml"


def _cli(*args: str) -> tuple[int, str]:
    from opsbook.cli.main import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def test_the_manifest_is_what_k8s_rbac_generates() -> None:
    code, text = _cli("k8s", "rbac")
    assert code == 0
    assert CLUSTER_ROLE.read_text() == text, (
        "regenerate: opsbook k8s rbac > deploy/kubernetes/base/clusterrole.yaml"
    )
    assert _cli("k8s", "rbac", "--name", "Not_A_Name")[0] == 2


def test_rules_grant_reads_only_and_each_declared_read() -> None:
    rules = k8s_rbac.rules(
        ["list pods", "get pods/log", "list deployments.apps", "get /metrics", "get configmaps"]
    )
    assert rules == [
        {"apiGroups": [""], "resources": ["configmaps", "pods/log"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]},
        {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
    ]
    assert k8s_rbac.parse("list nodes.metrics.k8s.io") == ("list", "metrics.k8s.io", "nodes")
    for bad in ("delete pods", "list", "patch deployments.apps", "list pods extra"):
        with pytest.raises(ValueError):
            k8s_rbac.parse(bad)
    declared = k8s_rbac.declared()
    assert "list pods" in declared and "get /version" in declared
    assert not [p for p in declared if p.split()[0] not in k8s_rbac.GRANTS]


def _k8s_checks() -> list[str]:
    load_builtin()
    return sorted(s.id for s in CHECKS if s.target_kind is TargetKind.K8S)


def _outcome(cfg, rules=None, server=None):  # type: ignore[no-untyped-def]
    if rules is not None:
        server.authorize_only(rules)
    result = service.run(cfg, service.RunRequest(check_ids=_k8s_checks()), store_enabled=False)
    return {(f.check_id, f.uid, f.status) for f in result.findings}, result


def test_every_kubernetes_check_works_with_only_the_cluster_role(kube_cluster) -> None:  # type: ignore[no-untyped-def]
    server, cfg = kube_cluster
    role = yaml.safe_load(CLUSTER_ROLE.read_text())
    full, _ = _outcome(cfg)
    limited, result = _outcome(cfg, role["rules"], server)
    denied = [f"{f.check_id}: {f.message}" for f in result.findings if f.status is Status.ERROR]
    assert not [d for d in denied if "permission" in d or "forbidden" in d.lower()], denied
    assert limited == full
    assert {c for c, _, _ in limited} == set(_k8s_checks())  # every check reported something


def test_a_rule_missing_from_the_role_fails_the_checks_that_need_it(kube_cluster) -> None:  # type: ignore[no-untyped-def]
    server, cfg = kube_cluster
    role = yaml.safe_load(CLUSTER_ROLE.read_text())
    without_pods = [
        {**r, "resources": [x for x in r["resources"] if x != "pods"]} if r.get("apiGroups") == [""] else r
        for r in role["rules"]
    ]
    _, result = _outcome(cfg, without_pods, server)
    errors = {f.check_id: f.message for f in result.findings if f.status is Status.ERROR}
    assert "missing permission list pods" in errors["k8s.pod_not_running"]
