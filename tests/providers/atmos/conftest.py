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


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write an Atmos tree: `tree({"stacks/deploy/dev.yaml": "...", ...}, atmos=...)` -> its root."""
    import textwrap

    monkeypatch.delenv("ATMOS_CLI_CONFIG_PATH", raising=False)
    monkeypatch.delenv("ATMOS_COMPONENTS_TERRAFORM_COMMAND", raising=False)
    default_atmos = """
        base_path: "."
        components:
          terraform:
            base_path: components/terraform
        stacks:
          base_path: stacks
          included_paths: ["deploy/**/*"]
          excluded_paths: ["**/_defaults.yaml"]
          name_template: "{{ .vars.stage }}"
        workflows:
          base_path: stacks/workflows
        schemas:
          jsonschema:
            base_path: stacks/schemas/jsonschema
    """

    def make(files: dict[str, str], atmos: str | None = None) -> Path:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        (root / "atmos.yaml").write_text(textwrap.dedent(atmos or default_atmos))
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return root

    return make
