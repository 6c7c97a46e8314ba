"""Shared fixtures: the Atmos conformance folder beside the checkout (read in place, never modified)."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "conformance" / "atmos"


@pytest.fixture
def conformance() -> Path:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"Atmos conformance fixtures not found at {CONFORMANCE.resolve()}")
    return CONFORMANCE.resolve()


@pytest.fixture
def fixture_dir():
    """`fixture_dir(root, "tests/fixtures/scenarios/x")`, skipping when that fixture is absent."""

    def get(root: Path, rel: str) -> Path:
        path = root / rel
        if not path.is_dir():
            pytest.skip(f"conformance fixture {rel} is not in {root}")
        return path

    return get


@pytest.fixture
def atmos_env(monkeypatch: pytest.MonkeyPatch):
    """The environment Atmos's own harness forces; returns a function that points it at a workdir."""

    def use(workdir: Path) -> Path:
        monkeypatch.setenv("ATMOS_CLI_CONFIG_PATH", str(workdir))
        monkeypatch.setenv("ATMOS_COMPONENTS_TERRAFORM_COMMAND", "tofu")
        monkeypatch.setenv("ATMOS_GIT_ROOT_BASEPATH", "false")
        monkeypatch.chdir(workdir)
        return workdir

    return use
