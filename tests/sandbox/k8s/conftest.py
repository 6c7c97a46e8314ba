"""Fixtures: a seeded fake Kubernetes API over HTTPS with a token, and official clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from opsbook.sandbox.k8s import FakeKubeServer, seed_cluster, write_kubeconfig

TOKEN = "sandbox-test-token"


@pytest.fixture()
def kube_server() -> Iterator[FakeKubeServer]:
    server = FakeKubeServer(token=TOKEN, tls=True)
    seed_cluster(server.store)
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def kubeconfig_path(kube_server: FakeKubeServer, tmp_path: Path) -> Path:
    assert kube_server.url is not None
    return write_kubeconfig(
        tmp_path / "kubeconfig", kube_server.url, TOKEN, "my-cluster", ca_pem=kube_server.ca_pem
    )


@pytest.fixture()
def api_client(kubeconfig_path: Path) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(str(kubeconfig_path), context="my-cluster")
    yield api
    api.close()
