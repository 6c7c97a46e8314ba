"""Fixtures: a seeded fake Kubernetes API over HTTPS with a token, and official clients for it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
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


Settle = Callable[[Callable[[], bool]], None]


@pytest.fixture()
def settle() -> Settle:
    """Wait (up to 15 s) until a condition holds: the sandbox's controllers act on a short timer."""

    def wait(condition: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "the sandbox did not settle in time"
            time.sleep(0.1)

    return wait


KUBECTL = shutil.which("kubectl")
Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture()
def kubectl(kubeconfig_path: Path) -> Kubectl:
    """Run the real kubectl against the seeded server: `kubectl("get", "pods", check=False)`."""
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH")

    def run(
        *args: str,
        check: bool = True,
        timeout: float = 60,
        input: str | None = None,  # noqa: A002
    ) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        env = {**os.environ, "KUBECONFIG": str(kubeconfig_path)}
        cache = kubeconfig_path.parent / "kube-cache"
        result = subprocess.run(
            [KUBECTL, "--cache-dir", str(cache), "--request-timeout", "20s", *args],
            env=env, capture_output=True, text=True, timeout=timeout, check=False, input=input,
        )  # fmt: skip
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run
