"""opsbook's own conformance cases for two Atmos rules (fixtures/<case>/expected.yaml says what Atmos
prints for each tree and where in Atmos's source that comes from):

- doublestar-paths: `stacks.included_paths` / `excluded_paths` are doublestar globs (`**/` matches zero
  or more directories, `{a,b}` alternatives), an excluded match wins over an included one;
- base-component: a top-level `component: X` makes X the base component only when X is a component of
  the stack, which decides the folder and the workspace; `metadata.inherits` never does.

Each stack's components are checked in `describe stacks` and in `describe component` alike.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.providers.atmos.resolver import Stacks

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.yaml").is_file())


def _at(section: dict[str, Any], dotted: str) -> Any:
    value: Any = section
    for part in dotted.split("."):
        value = value[part]
    return value


@pytest.fixture
def case(request, tmp_path, monkeypatch):
    """A copy of fixtures/<case> (so no run can write beside the sources), as the cwd."""
    root = tmp_path / request.param
    shutil.copytree(FIXTURES / request.param, root)
    for name in ("ATMOS_CLI_CONFIG_PATH", "ATMOS_STACKS_INCLUDED_PATHS", "ATMOS_STACKS_EXCLUDED_PATHS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(root)
    return root, yaml.safe_load((root / "expected.yaml").read_text())


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_list_stacks(case):
    root, expected = case
    assert Stacks.load(root).names() == expected["list_stacks"]


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_describe_stacks_and_component(case):
    root, expected = case
    stacks = Stacks.load(root)
    described = stacks.describe_stacks()
    for stack, components in expected.get("stacks", {}).items():
        in_stacks = described[stack]["components"]["terraform"]
        assert sorted(in_stacks) == sorted(components), f"every component of {stack} is expected"
        for name, want in components.items():
            for section in (in_stacks[name], stacks.describe_component(name, stack)):
                got = {key: _at(section, key) for key in want}
                assert got == want, f"{name} -s {stack}"
