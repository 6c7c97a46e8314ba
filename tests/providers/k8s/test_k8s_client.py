"""The counted ApiClient against the fake Kubernetes API over HTTPS: reads, paging, stats, error mapping."""

from __future__ import annotations

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import AccessDenied, ConfigError, TargetUnavailable
from opsbook.providers.aws.stats import ApiStats
from opsbook.providers.k8s.client import ClusterClients
from opsbook.providers.k8s.errors import classify
from opsbook.providers.k8s.requests import rbac_call


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        ("GET", "https://h/api/v1/nodes", ("list", "nodes")),
        ("GET", "https://h/api/v1/pods?limit=500", ("list", "pods")),
        ("GET", "https://h/api/v1/namespaces/production/pods/p1/log?tailLines=5", ("get", "pods/log")),
        ("GET", "https://h/apis/apps/v1/deployments", ("list", "deployments.apps")),
        ("GET", "https://h/apis/metrics.k8s.io/v1beta1/nodes", ("list", "nodes.metrics.k8s.io")),
        (
            "PATCH",
            "https://h/apis/apps/v1/namespaces/p/deployments/d/scale",
            ("patch", "deployments.apps/scale"),
        ),
        ("GET", "https://h/api/v1/pods?watch=true", ("watch", "pods")),
        ("DELETE", "https://h/api/v1/namespaces/p/pods", ("deletecollection", "pods")),
        ("GET", "https://h/version", ("get", "/version")),
    ],
)
def test_requests_are_named_in_rbac_terms(method: str, url: str, expected: tuple[str, str]) -> None:
    assert rbac_call(method, url) == expected


def clients(cfg: Config) -> tuple[ClusterClients, ApiStats]:
    stats = ApiStats()
    return ClusterClients(cfg, stats), stats


def test_kubeconfig_client_reads_pages_and_counts(kube_cluster) -> None:  # type: ignore[no-untyped-def]
    _, cfg = kube_cluster
    cc, stats = clients(cfg)
    api = cc.api_client(cc.cluster("my-cluster"))
    assert cc.api_client(cc.cluster("my-cluster")) is api  # one client per cluster
    assert cc.preflight(api)["git_version"]
    pods = api.list_items("/api/v1/pods", page_size=5)
    assert len(pods) == 29 and len({p["metadata"]["name"] for p in pods}) == 29  # 17 + 2 agents x 6 nodes
    assert len(api.list_items("/api/v1/namespaces/production/pods", label_selector="app=myapp")) == 3
    calls = stats.by_target()["k8s:my-cluster"]
    assert calls["k8s:list pods"] == 7  # 6 pages of 5 (29 pods) + the selector listing
    assert calls["k8s:get /version"] == 1
    log = api.get("/api/v1/namespaces/production/pods/myapp-6d4cf56db6-2xkqp/log", {"tailLines": 3},
                  accept="text/plain")  # fmt: skip
    assert len(log.decode().splitlines()) == 3
    cc.close()


def test_forbidden_is_access_denied_with_verb_and_resource(kube_cluster) -> None:  # type: ignore[no-untyped-def]
    server, cfg = kube_cluster
    server.forbid("list", "pods")
    server.forbid("get", "pods/log")
    cc, stats = clients(cfg)
    api = cc.api_client(cc.cluster("my-cluster"))
    with pytest.raises(AccessDenied) as denied:
        api.list_items("/api/v1/pods")
    assert denied.value.action == "list pods" and "403" in str(denied.value)
    with pytest.raises(AccessDenied) as denied:
        api.get("/api/v1/namespaces/production/pods/myapp-6d4cf56db6-2xkqp/log")
    assert denied.value.action == "get pods/log"
    assert api.list_items("/api/v1/nodes")  # other kinds still readable
    # each refused call is one error (the metrics' opsbook_api_errors); none was throttled
    errors = stats.errors_by_target()["k8s:my-cluster"]
    assert errors == {"k8s:list pods": 1, "k8s:get pods/log": 1} and not stats.throttles_by_target()
    cc.close()


def test_wrong_token_fails_the_preflight_as_credentials_rejected(kube_cluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from opsbook.sandbox.k8s import write_kubeconfig

    server, cfg = kube_cluster
    path = write_kubeconfig(tmp_path / "bad", server.url, "wrong", "my-cluster", ca_pem=server.ca_pem)
    bad = cfg.model_copy(update={"clusters": [cfg.clusters[0].model_copy(update={"kubeconfig": str(path)})]})
    cc, _ = clients(bad)
    with pytest.raises(TargetUnavailable, match="credentials rejected"):
        cc.preflight(cc.api_client(cc.cluster("my-cluster")))


def test_refused_connection_is_target_unavailable(kube_cluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from opsbook.sandbox.k8s import write_kubeconfig

    _, cfg = kube_cluster
    path = write_kubeconfig(tmp_path / "dead", "http://127.0.0.1:9", "t", "dead")
    dead = Config.model_validate({"clusters": [{"name": "dead", "kubeconfig": str(path), "context": "dead"}]})
    cc, _ = clients(dead)
    with pytest.raises(TargetUnavailable, match="endpoint unreachable"):
        cc.preflight(cc.api_client(cc.cluster("dead")))


def test_bad_kubeconfig_and_unknown_cluster_are_config_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = Config.model_validate({"clusters": [{"name": "x", "kubeconfig": str(tmp_path / "missing")}]})
    cc, _ = clients(cfg)
    with pytest.raises(ConfigError, match="cluster x: kubeconfig"):
        cc.api_client(cc.cluster("x"))
    with pytest.raises(ConfigError, match="no cluster named 'y'"):
        cc.cluster("y")


def test_raw_api_exceptions_are_classified() -> None:
    from kubernetes.client.exceptions import ApiException

    exc = ApiException(status=403, reason="Forbidden")
    exc.body = '{"message": "deployments.apps is forbidden: User \\"x\\" cannot list resource \\"deployments\\" in API group \\"apps\\" at the cluster scope"}'
    mapped = classify(exc, "list nodes", "k8s:c")
    assert isinstance(mapped, AccessDenied) and mapped.action == "list deployments.apps"
    assert classify(ValueError("x"), "list nodes", "k8s:c") is None
    assert isinstance(
        classify(ConnectionRefusedError(111, "refused"), "list nodes", "k8s:c"), TargetUnavailable
    )


def test_eks_client_describes_the_cluster_and_refreshes_its_token(sandbox, sandbox_config: Config) -> None:  # type: ignore[no-untyped-def]
    cc, stats = clients(sandbox_config)
    api = cc.api_client(cc.cluster("my-cluster"))
    assert api.configuration.host == sandbox.kube_url and api.configuration.ssl_ca_cert
    source = cc.token_source("my-cluster")
    assert source is not None and source.signed == 1
    assert api.list_items("/api/v1/nodes")
    source.refresh_after = 0  # as if 10 minutes had passed: the next request carries a fresh token
    assert api.list_items("/api/v1/nodes") and source.signed >= 2
    assert stats.by_target()["k8s:my-cluster"]["eks:DescribeCluster"] == 1
    cc.close()
