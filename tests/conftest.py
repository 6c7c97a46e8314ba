"""Shared fixtures. Servers start on 127.0.0.1 in-process and stop at the end of the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notify.receiver import receiver  # noqa: F401 - a webhook receiver on 127.0.0.1
from tests.postgres import postgres_url, store_url  # noqa: F401 - fixtures for every test directory

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

if os.environ.get("PYTEST_XDIST_WORKER"):  # xdist workers get COLUMNS=80 from execnet; the CLI must not
    for _name in ("COLUMNS", "LINES"):
        os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[object]:
    """The whole sandbox estate (moto + opsbook's additions), seeded once per test session.

    Tests must not leave changes behind: moto keeps state in process-wide backends.
    """
    pytest.importorskip("moto", reason="the sandbox needs the 'sandbox' extra")
    from opsbook.sandbox.runtime import Sandbox

    sb = Sandbox().start()
    yield sb
    sb.stop()


@pytest.fixture()
def fast_nodegroups(sandbox):  # type: ignore[no-untyped-def]
    """The session sandbox with short EKS node group updates and node boots while the test runs."""
    before = sandbox.set_delays(nodegroup_update=0.5, node_ready=0.5)
    yield sandbox
    sandbox.set_delays(nodegroup_update=before[0], node_ready=before[1])


@pytest.fixture()
def sandbox_config(sandbox, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A Config for the sandbox with a throwaway SQLite store."""
    from opsbook.core.config import Config

    return Config.model_validate(sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")).model_copy(
        update={"source": "(sandbox)"}
    )


KUBE_TOKEN = "opsbook-test-token"


@pytest.fixture()
def kube_cluster(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A seeded fake Kubernetes API over HTTPS and a Config whose `my-cluster` reaches it by kubeconfig.

    Yields (server, config); the server is per test, so forbid rules and edits need no undo.
    """
    pytest.importorskip("kubernetes", reason="Kubernetes needs the 'k8s' extra")
    from opsbook.core.config import Config
    from opsbook.sandbox.k8s import FakeKubeServer, seed_cluster, write_kubeconfig

    server = FakeKubeServer(token=KUBE_TOKEN, tls=True)
    seed_cluster(server.store)
    url = server.start()
    path = write_kubeconfig(tmp_path / "kubeconfig", url, KUBE_TOKEN, "my-cluster", ca_pem=server.ca_pem)
    cluster = {"name": "my-cluster", "kubeconfig": str(path), "context": "my-cluster",
               "log_selectors": ["app=myapp", "app=my-app"]}  # fmt: skip
    cfg = Config.model_validate(
        {"storage": {"url": f"sqlite:///{tmp_path}/opsbook.db"}, "clusters": [cluster]}
    )
    yield server, cfg.model_copy(update={"source": "(test)"})
    server.stop()
