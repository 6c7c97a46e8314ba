"""Doublestar matching (providers/atmos/globs.py) and where opsbook uses it: stacks.included_paths,
excluded_paths and glob imports. The rows follow doublestar's documented rules."""

from __future__ import annotations

import pytest

from opsbook.core.errors import ConfigError, InputError
from opsbook.providers.atmos.globs import GlobError, match
from opsbook.providers.atmos.resolver import Stacks


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        # `**` as a whole segment: zero or more directories, at the start, in the middle, at the end
        ("**/_defaults.yaml", "_defaults.yaml", True),
        ("**/_defaults.yaml", "orgs/acme/_defaults.yaml", True),
        ("**/_defaults.yaml", "orgs/acme/my_defaults.yaml", False),
        ("orgs/**/dev.yaml", "orgs/dev.yaml", True),
        ("orgs/**/dev.yaml", "orgs/a/b/dev.yaml", True),
        ("orgs/**/dev.yaml", "orgsx/dev.yaml", False),
        ("**/catalog/**", "catalog/base.yaml", True),
        ("**/catalog/**", "orgs/acme/catalog/deep/eks.yaml", True),
        ("**/catalog/**", "orgs/acme/mycatalog/x.yaml", False),
        ("**/catalog/**", "orgs/catalogue/x.yaml", False),
        ("catalog/**", "catalog", True),
        ("**", "any/thing/at/all.yaml", True),
        # `**` inside a segment is a `*`: it does not cross `/`
        ("orgs/**.yaml", "orgs/dev.yaml", True),
        ("orgs/**.yaml", "orgs/a/dev.yaml", False),
        # `*`, `?`, classes
        ("deploy/*.yaml", "deploy/dev.yaml", True),
        ("deploy/*.yaml", "deploy/a/dev.yaml", False),
        ("deploy/?ev.yaml", "deploy/dev.yaml", True),
        ("deploy/?ev.yaml", "deploy//ev.yaml", False),
        ("deploy/[a-d]ev.yaml", "deploy/dev.yaml", True),
        ("deploy/[!d]ev.yaml", "deploy/dev.yaml", False),
        ("deploy/[^x]ev.yaml", "deploy/dev.yaml", True),
        ("deploy/[x-]", "deploy/-", True),
        # alternatives, nested, holding `/`, empty
        ("{deploy,teams/*}/*.yaml", "teams/blue/qa.yaml", True),
        ("{deploy,teams/*}/*.yaml", "deploy/staging.yaml", True),
        ("{deploy,teams/*}/*.yaml", "deploy/nested/deeper.yaml", False),
        ("orgs/**/{draft,wip}-*", "orgs/acme/wip-test.yaml", True),
        ("orgs/**/{draft,wip}-*", "orgs/acme/drafts.yaml", False),
        ("a{,b{c,d}}.yaml", "abd.yaml", True),
        ("a{,b{c,d}}.yaml", "a.yaml", True),
        # escapes
        (r"deploy/\*.yaml", "deploy/*.yaml", True),
        (r"deploy/\*.yaml", "deploy/dev.yaml", False),
    ],
)
def test_doublestar_match(pattern, path, expected):
    assert match(pattern, path) is expected


@pytest.mark.parametrize("pattern", ["deploy/[", "[]a]", "deploy/{a,b", "deploy\\", "[z-a]"])
def test_patterns_doublestar_refuses(pattern):
    with pytest.raises(GlobError):
        match(pattern, "deploy/a")


def test_bad_excluded_pattern_names_the_atmos_yaml_line(tree):
    root = tree(
        {"stacks/deploy/dev.yaml": "vars: {stage: dev}\n"},
        atmos="""
            stacks:
              base_path: stacks
              included_paths: ["deploy/**/*"]
              excluded_paths:
                - "**/_defaults.yaml"
                - "deploy/{a,b"
        """,
    )
    with pytest.raises(ConfigError) as err:
        Stacks.load(root).names()
    assert f"{root / 'atmos.yaml'}:7:" in str(err.value)
    assert "deploy/{a,b" in str(err.value) and "unclosed" in str(err.value)


def test_included_and_excluded_paths_from_the_environment(tree, monkeypatch):
    files = {f"stacks/{d}/{s}.yaml": f"vars: {{stage: {s}}}\n" for d in ("a", "b") for s in ("x", "y")}
    root = tree(
        files,
        atmos="stacks: {base_path: stacks, included_paths: ['a/*'], name_template: '{{ .vars.stage }}-z'}\n",
    )
    assert Stacks.load(root).names() == ["x-z", "y-z"]
    monkeypatch.setenv("ATMOS_STACKS_INCLUDED_PATHS", "a/*,b/*")
    monkeypatch.setenv("ATMOS_STACKS_EXCLUDED_PATHS", "**/y.yaml")
    assert [s.manifest for g in Stacks.load(root).stacks().values() for s in g] == ["a/x", "b/x"]


def test_glob_imports_are_doublestar_too(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                import: ["mixins/{one,two}", "catalog/**/*"]
                vars: {stage: dev}
                components: {terraform: {c: {}}}
            """,
            "stacks/mixins/one.yaml": "vars: {one: 1}\n",
            "stacks/mixins/two.yaml": "vars: {two: 2}\n",
            "stacks/mixins/three.yaml": "vars: {three: 3}\n",
            "stacks/catalog/top.yaml": "vars: {top: 1}\n",
            "stacks/catalog/a/b/deep.yaml": "vars: {deep: 1}\n",
        }
    )
    vars_ = Stacks.load(root).component("c", "dev")["vars"]
    assert vars_ == {"one": 1, "two": 2, "top": 1, "deep": 1, "stage": "dev"}


def test_bad_import_pattern_is_one_input_error(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": "import: ['mixins/[x']\nvars: {stage: dev}\ncomponents: {terraform: {c: {}}}\n"
        }
    )
    with pytest.raises(InputError) as err:
        Stacks.load(root).names()
    assert "dev.yaml:1" in str(err.value) and "mixins/[x" in str(err.value)
