"""The ConfigMap's kubeconfig (the pod's own ServiceAccount: `tokenFile`, the cluster's CA file) is one opsbook
reads: with only the server and the two file paths moved to a fake cluster, a Kubernetes check runs through it."""

from __future__ import annotations

from pathlib import Path

from opsbook.core.config import Cluster
from opsbook.core.models import Status
from opsbook.engine import service
from tests.conftest import KUBE_TOKEN
from tests.deploy.manifests import KUBERNETES

SA = "/var/run/secrets/kubernetes.io/serviceaccount"


def test_the_in_cluster_kubeconfig_reaches_the_cluster(kube_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, cfg = kube_cluster
    (tmp_path / "token").write_text(KUBE_TOKEN + "\n")  # as kubelet projects it, newline and all
    (tmp_path / "ca.crt").write_bytes(server.ca_pem)
    text = (KUBERNETES / "base" / "kubeconfig").read_text()
    assert text.count("https://kubernetes.default.svc") == 1 and text.count(SA) == 2
    moved = text.replace("https://kubernetes.default.svc", server.url).replace(SA, str(tmp_path))
    (tmp_path / "kubeconfig").write_text(moved)
    cluster = Cluster(name="this-cluster", kubeconfig=str(tmp_path / "kubeconfig"), context="in-cluster")
    result = service.run(
        cfg.model_copy(update={"clusters": [cluster]}),
        service.RunRequest(check_ids=["k8s.node_not_ready"]),
        store_enabled=False,
    )
    assert not result.failed_targets
    assert {f.status for f in result.findings} == {Status.PASS, Status.FAIL}, [
        f.message for f in result.findings
    ]
