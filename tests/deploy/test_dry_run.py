"""Each overlay, rendered, goes through `kubectl apply --dry-run=server` against the sandbox's fake Kubernetes
API: discovery, OpenAPI, strict field validation (`--validate=strict`, kubectl's default) and the server's
dry run, which must accept every object and store none of them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.manifests import OVERLAYS, find, need_kubectl, objects, rendered

pytest.importorskip("kubernetes", reason="the fake Kubernetes API needs the 'sandbox' extra")

from opsbook.sandbox.k8s import FakeKubeServer, write_kubeconfig  # noqa: E402

TOKEN = "deploy-dry-run-token"


class Cluster:
    def __init__(self, server: FakeKubeServer, kubeconfig: Path) -> None:
        self.server = server
        self.kubeconfig = kubeconfig

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        cache = self.kubeconfig.parent / "kube-cache"
        return subprocess.run(
            [need_kubectl(), "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(cache),
             "--request-timeout", "20s", *args],
            input=stdin, capture_output=True, text=True, timeout=90, check=False,
            env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
        )  # fmt: skip


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """An empty fake cluster (no seed) with the opsbook namespace created for real, as `kubectl apply` of the
    Namespace would: a server dry run of namespaced objects needs their namespace to exist."""
    need_kubectl()
    server = FakeKubeServer(token=TOKEN, tls=True)
    url = server.start()
    path = write_kubeconfig(
        tmp_path_factory.mktemp("kube") / "kubeconfig", url, TOKEN, "c", ca_pem=server.ca_pem
    )
    made = Cluster(server, path)
    done = made.kubectl(
        "apply", "-f", "-", stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: opsbook}\n"
    )
    assert done.returncode == 0, done.stderr
    yield made
    server.stop()


STORED = ("deployments.apps", "cronjobs.batch", "services", "configmaps", "serviceaccounts",
          "clusterroles.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io")  # fmt: skip


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_server_dry_run_accepts_every_object_and_stores_none(cluster: Cluster, overlay: str) -> None:
    done = cluster.kubectl("apply", "--dry-run=server", "-f", "-", stdin=rendered(overlay))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(objects(overlay))
    assert all(line.endswith(("created (server dry run)", "configured (server dry run)")) for line in lines)
    for kind in STORED:
        assert cluster.server.store.list(kind) == [], f"{kind} was stored by a dry run"
    (ns,) = cluster.server.store.list("namespaces")
    assert "pod-security.kubernetes.io/enforce" not in (ns["metadata"].get("labels") or {})  # not patched


def test_server_dry_run_refuses_an_unknown_field(cluster: Cluster) -> None:
    """The same path refuses what a real API server refuses (so the pass above means something)."""
    (cron,) = find(objects("cronjob"), "CronJob")
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFilesytem"] = True
    import yaml

    done = cluster.kubectl("apply", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump(cron))
    assert (
        done.returncode != 0
        and 'unknown field "spec.jobTemplate.spec.template.spec.containers[0]' in done.stderr
    )
    assert cluster.server.store.list("cronjobs.batch") == []
