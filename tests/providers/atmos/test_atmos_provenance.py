"""Provenance: the file and line whose value wins for (stack, component, path). Checked two ways: named
cases on the sandbox's tree and opsbook's fixtures, and a property over the conformance trees with
inheritance and `overrides`: for every single value a component resolves to, the definition found holds
that value, and writing another value there (in a copy) is what the component then resolves to."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.errors import NotFound
from opsbook.providers.atmos.provenance import where_defined
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.atmos.setvalue import name_vars
from opsbook.providers.atmos.yamledit import set_value
from opsbook.sandbox.stacks import sandbox_stacks_dir

FIXTURES = Path(__file__).parent / "fixtures"
DEV, PROD = "mycompany-dev-use1", "mycompany-prod-use1"


@pytest.fixture(scope="module")
def sandbox_tree() -> Stacks:
    return Stacks.load(sandbox_stacks_dir())


def rel(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


@pytest.mark.parametrize(
    ("stack", "component", "path", "file", "line", "value", "level"),
    [  # the catalog's abstract base, unless the stack's own manifest sets it
        (DEV, "eks", "vars.node_groups.application.desired_size", "stacks/catalog/eks.yaml", 25, 4,
         "component eks/defaults"),
        (PROD, "eks", "vars.node_groups.application.desired_size", "stacks/orgs/mycompany/prod/use1/eks.yaml",
         11, 10, "component eks"),
        (PROD, "eks", "vars.node_groups.application.min_size", "stacks/catalog/eks.yaml", 24, 3,
         "component eks/defaults"),
        # global vars: the deepest _defaults that sets them; the org's for tenant, the account's for Stage
        (DEV, "eks", "vars.tenant", "stacks/orgs/mycompany/_defaults.yaml", 3, "mycompany", "global"),
        (DEV, "rds", "vars.tags.Stage", "stacks/orgs/mycompany/dev/_defaults.yaml", 9, "dev", "global"),
        (DEV, "vpc", "vars.region", "stacks/mixins/region/us-east-1.yaml", 3, "us-east-1", "global"),
        (PROD, "rds", "vars.backup_retention_period", "stacks/orgs/mycompany/prod/use1/rds.yaml", 10, 30,
         "component rds"),
    ],
)  # fmt: skip
def test_sandbox_tree(sandbox_tree, stack, component, path, file, line, value, level):
    found = where_defined(sandbox_tree, stack, component, tuple(path.split(".")))
    assert found is not None
    assert (rel(found.file, sandbox_stacks_dir()), found.line, found.value, found.level) == (
        file,
        line,
        value,
        level,
    )
    assert not (found.through_tag or found.templated or found.blocked)


def test_undefined_templated_and_unknown(sandbox_tree):
    assert where_defined(sandbox_tree, DEV, "eks", ("vars", "no_such_var")) is None
    name = where_defined(sandbox_tree, DEV, "vpc", ("vars", "name"))
    assert name is not None and name.templated and name.line == 7
    with pytest.raises(NotFound, match="did you mean mycompany-dev-use1"):
        where_defined(sandbox_tree, "mycompany-dev-use2", "eks", ("vars", "x"))
    with pytest.raises(NotFound, match="did you mean eks"):
        where_defined(sandbox_tree, DEV, "ekss", ("vars", "x"))


def test_base_component_fixture():
    """opsbook's fixture: `component:` as the base component (bases.py) - its vars are inherited."""
    root = FIXTURES / "base-component"
    stacks = Stacks.load(root)
    for stack in stacks.names():
        for key in stacks.find(stack).raw_components:
            section = stacks.component(key.split("/", 1)[1], stack)
            assert_every_value_found(stacks, stack, key.split("/", 1)[1], section)


def leaves(value: Any, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, (*prefix, str(k)))]
    return [] if isinstance(value, list) else [(prefix, value)]


def assert_every_value_found(stacks: Stacks, stack: str, component: str, section: dict[str, Any]) -> int:
    n = 0
    for path, value in leaves(section.get("vars") or {}, ("vars",)):
        found = where_defined(stacks, stack, component, path)
        assert found is not None, (stack, component, path)
        if not found.templated:
            assert found.value == value, (stack, component, path, found)
            n += 1
    return n


@pytest.mark.parametrize("scenario", ["atmos-overrides-section", "hierarchical-imports"])
def test_conformance_every_value_and_editing_it_wins(conformance, fixture_dir, atmos_env, tmp_path, scenario):
    src = fixture_dir(conformance, f"tests/fixtures/scenarios/{scenario}")
    root = tmp_path / scenario
    shutil.copytree(src, root)
    atmos_env(root)
    stacks = Stacks.load(root)
    checked = 0
    naming = {(v,) for v in name_vars(stacks)}  # editing these renames the stack
    for stack in stacks.names():
        for key in sorted({k for st in stacks.stacks()[stack] for k in st.raw_components}):
            component = key.split("/", 1)[1]
            section = stacks.component(component, stack)
            if (section.get("metadata") or {}).get("type") == "abstract":
                continue
            checked += assert_every_value_found(stacks, stack, component, section)
            for path, value in leaves(section.get("vars") or {}, ("vars",))[:4]:
                if isinstance(value, str) and "{{" not in value and path[1:] not in naming:
                    found = where_defined(stacks, stack, component, path)
                    assert found is not None
                    original = found.file.read_text()
                    found.file.write_text(set_value(original, found.loc, value + "-edited"))
                    try:
                        again = Stacks.load(root).component(component, stack)
                        got = again["vars"]
                        for k in path[1:]:
                            got = got[k]
                        assert got == value + "-edited", (stack, component, path, found.where)
                    finally:
                        found.file.write_text(original)
    assert checked > 20


@pytest.mark.parametrize(
    ("stack", "key", "file", "line"),
    [
        ("prod", "a", "stacks/deploy/prod.yaml", 16),  # the stack's own terraform.overrides win
        ("staging", "b", "stacks/teams/team2.yaml", 11),  # then the imported team files' overrides
        ("sandbox", "a", "stacks/teams/team2.yaml", 10),
        ("prod", "d", "stacks/catalog/c1.yaml", 11),  # nothing overrides d: the component's own value
    ],
)
def test_conformance_overrides_name_the_winning_file(
    conformance, fixture_dir, atmos_env, stack, key, file, line
):
    root = atmos_env(fixture_dir(conformance, "tests/fixtures/scenarios/atmos-overrides-section"))
    found = where_defined(Stacks.load(root), stack, "c1", ("vars", "test", key))
    assert found is not None and (rel(found.file, root), found.line) == (file, line)
