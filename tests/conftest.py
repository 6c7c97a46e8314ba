"""Shared fixtures. Servers start on 127.0.0.1 in-process and stop at the end of the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


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
def sandbox_config(sandbox, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A Config for the sandbox with a throwaway SQLite store."""
    from opsbook.core.config import Config

    return Config.model_validate(sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")).model_copy(
        update={"source": "(sandbox)"}
    )
