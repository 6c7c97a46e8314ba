"""The Atmos conformance cases (../shared/conformance/atmos/README.md), compared semantically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.providers.atmos.resolver import Stacks

DROP = ("atmos_cli_config", "cli_args", "sources", "tf_cli_vars")
GOLDEN_ROOT = "/absolute/path/to/repo/"


def _normalise(section: dict[str, Any], workdir: Path, repo: Path) -> dict[str, Any]:
    out = {k: v for k, v in section.items() if k not in DROP}
    info = dict(out.get("component_info") or {})
    info.pop("terraform_config", None)
    path = info.get("component_path")
    if isinstance(path, str):
        if path.startswith(GOLDEN_ROOT):
            info["component_path"] = str((repo / path[len(GOLDEN_ROOT) :]).resolve())
        else:
            info["component_path"] = str((workdir / path).resolve())
    out["component_info"] = info
    return out


def _golden(root: Path, name: str) -> Any:
    path = root / "tests" / "snapshots" / f"TestCLICommands_{name}.stdout.golden"
    if not path.is_file():
        pytest.skip(f"golden {path.name} is not in the conformance folder")
    return yaml.safe_load(path.read_text())


def test_describe_stacks_relative_paths(conformance, atmos_env, fixture_dir):
    workdir = atmos_env(fixture_dir(conformance, "tests/fixtures/scenarios/relative-paths"))
    got = Stacks.load().describe_stacks()
    want = _golden(conformance, "atmos_stacks_with_relative_paths")
    assert list(got) == ["acme-platform-dev", "acme-platform-prod", "acme-platform-staging"]
    for stack, body in want.items():
        for name, section in body["components"]["terraform"].items():
            mine = got[stack]["components"]["terraform"][name]
            assert _normalise(mine, workdir, conformance) == _normalise(section, workdir, conformance)
    assert set(got) == set(want)


@pytest.mark.parametrize("example", ["stack-names", "native-terraform"])
def test_list_stacks_examples(conformance, atmos_env, fixture_dir, example):
    atmos_env(fixture_dir(conformance, f"examples/{example}"))
    want = (
        conformance
        / "tests"
        / "snapshots"
        / f"TestCLICommands_atmos_list_stacks_({example}_example).stdout.golden"
    )
    if not want.is_file():
        pytest.skip(f"golden {want.name} missing")
    assert Stacks.load().names() == want.read_text().split()
    assert "prod" not in Stacks.load().names()


@pytest.mark.parametrize(
    ("example", "component", "stack"),
    [
        ("stack-names", "mock", "dev"),
        ("stack-names", "mock", "production"),
        ("native-terraform", "vpc", "production"),
    ],
)
def test_describe_component_examples(conformance, atmos_env, fixture_dir, example, component, stack):
    workdir = atmos_env(fixture_dir(conformance, f"examples/{example}"))
    want = _golden(conformance, f"atmos_describe_component_{component}_-s_{stack}_({example}_example)")
    got = json.loads(json.dumps(Stacks.load().describe_component(component, stack)))
    assert _normalise(got, workdir, conformance) == _normalise(want, workdir, conformance)


@pytest.mark.parametrize("example", ["stack-names", "native-terraform"])
def test_stack_file_name_is_not_a_stack_name_when_named(conformance, atmos_env, fixture_dir, example):
    from opsbook.core.errors import NotFound

    atmos_env(fixture_dir(conformance, f"examples/{example}"))
    component = "mock" if example == "stack-names" else "vpc"
    with pytest.raises(NotFound) as err:
        Stacks.load().component(component, "prod")
    message = str(err.value)
    assert "invalid stack" in message and "prod" in message and "production" in message
    assert "stacks list" in message


@pytest.mark.parametrize(
    ("stack", "a", "b", "c", "d"),
    [
        ("prod", "a-prod", "b-prod", "c-prod", "d"),
        ("staging", "a-staging", "b-team2", "c-team1", "d"),
        ("dev", "a-dev", "b-team2", "c-team1", "d"),
        ("sandbox", "a-team2", "b-team2", "c-team1", "d"),
        ("test", "a-test-2", "b-test", "c-team1", "d"),
    ],
)
def test_overrides_section(conformance, atmos_env, fixture_dir, stack, a, b, c, d):
    atmos_env(fixture_dir(conformance, "tests/fixtures/scenarios/atmos-overrides-section"))
    section = Stacks.load().describe_component("c1", stack)
    assert section["vars"]["test"] == {"a": a, "b": b, "c": c, "d": d}


def test_hierarchical_glob_imports(conformance, atmos_env, fixture_dir):
    atmos_env(fixture_dir(conformance, "tests/fixtures/scenarios/hierarchical-imports"))
    stacks = Stacks.load()
    stack = next(s for s in stacks.names() if stacks.find(s).manifest == "deploy/dev/us-east-1")
    vars_ = stacks.describe_component("test-component", stack)["vars"]
    assert vars_["provider_priority"] == "c"
    assert vars_["provider_type"] == "aws"
    assert vars_["tags"]["ProviderPriority"] == "C"
    assert vars_["region"] == "us-east-1" and vars_["stage"] == "dev" and vars_["vpc_cidr"] == "10.1.0.0/16"


@pytest.mark.parametrize(
    ("component", "key", "expected"),
    [
        ("append-component", "tags", ["base-tag-1", "base-tag-2", "child-tag"]),
        ("replace-component", "tags", ["child-tag"]),
        ("inherit-strategy-component", "tags", ["base-tag-1", "base-tag-2", "child-tag"]),
        ("mi-append", "my_list", ["from_a", "from_b"]),
        ("mi-replace", "my_list", ["from_b"]),
        ("mi-multi-level-append", "my_list", ["from_a", "from_middle", "from_leaf"]),
        ("mi-merge-strategy", "my_list", ["from_a"]),
    ],
)
def test_component_list_merge_strategy(conformance, atmos_env, fixture_dir, component, key, expected):
    atmos_env(fixture_dir(conformance, "tests/fixtures/scenarios/component-list-merge-strategy"))
    assert Stacks.load().describe_component(component, "dev")["vars"][key] == expected


def test_every_fixture_tree_resolves(conformance, atmos_env, fixture_dir):
    """Every stack of every stacks fixture (except the `!include .tfvars` one, marked later) resolves."""
    trees = [p.parent for p in conformance.rglob("atmos.yaml")]
    assert trees
    for tree in trees:
        atmos_env(tree)
        stacks = Stacks.load()
        for name in stacks.names():
            if tree.name == "native-terraform" and name == "dev":
                continue  # !include of a .tfvars file: later
            for st in stacks.stacks()[name]:
                for key in st.raw_components:
                    ctype, comp = key.split("/", 1)
                    assert stacks.component_in(st, comp, ctype)["atmos_stack"] == name


def test_native_terraform_dev_includes_tfvars(conformance, atmos_env, fixture_dir):
    """Marked "later" in the README; opsbook reads literal .tfvars files, so check the case's regexes."""
    atmos_env(fixture_dir(conformance, "examples/native-terraform"))
    section = Stacks.load().describe_component("vpc", "dev")
    assert section["atmos_stack"] == "dev"
    assert section["vars"]["cidr_block"] == "10.0.0.0/16"
    assert section["vars"]["environment"] == "dev"
    assert section["vars"]["enable_dns_hostnames"] is True
    assert section["vars"]["tags"] == {"Environment": "Development", "Team": "platform"}
