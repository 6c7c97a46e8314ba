"""estate_from_stacks: accounts, regions and clusters derived from resolved stacks."""

from __future__ import annotations

import pytest

from opsbook.core.errors import InputError
from opsbook.providers.atmos.estate import EstateEntry, estate_from_atmos, estate_from_stacks
from opsbook.sandbox.stacks import sandbox_stacks_dir


def _stack(vars_, **components):
    return {
        "components": {
            "terraform": {n: {"vars": {**vars_, **v}, **extra} for n, (v, extra) in components.items()}
        }
    }


def test_sandbox_estate():
    entries = estate_from_atmos(sandbox_stacks_dir(), {"dev": "dev", "staging": "staging", "prod": "prod"})
    assert entries == [
        EstateEntry("dev", "us-east-1", "my-cluster"),
        EstateEntry("prod", "us-east-1", "my-cluster"),
        EstateEntry("staging", "us-east-1", "my-cluster"),
    ]
    account, region, cluster = entries[0]  # plain tuples for callers
    assert (account, region, cluster) == ("dev", "us-east-1", "my-cluster")


def test_lookup_order_and_no_cluster():
    stacks = {
        "a": _stack({"tenant": "t", "stage": "dev", "region": "eu-west-1"}, vpc=({}, {})),
        "b": _stack({"tenant": "t", "stage": "prod", "region": "us-east-1"}, vpc=({}, {})),
    }
    got = estate_from_stacks(stacks, {"t-dev": "dev-account", "prod": "prod-account"})
    assert got == [
        EstateEntry("dev-account", "eu-west-1", None),
        EstateEntry("prod-account", "us-east-1", None),
    ]


def test_clusters_by_folder_skip_abstract_and_disabled():
    base = {"stage": "dev", "region": "us-east-1"}
    stacks = {
        "s": _stack(
            base,
            **{
                "eks/blue": ({"cluster_name": "blue"}, {"component": "eks"}),
                "eks/green": ({"cluster_name": "green"}, {"component": "eks"}),
                "eks/defaults": (
                    {"cluster_name": "x"},
                    {"component": "eks", "metadata": {"type": "abstract"}},
                ),
                "eks/off": ({"cluster_name": "off"}, {"component": "eks", "metadata": {"enabled": False}}),
                # its folder comes from metadata.component (inherited); its `component` is its own name
                "eks/red": (
                    {"cluster_name": "red"},
                    {"component": "eks/red", "metadata": {"component": "eks"}},
                ),
            },
        )
    }
    got = estate_from_stacks(stacks, {"dev": "dev"})
    assert [e.cluster for e in got] == ["blue", "green", "red"]


def test_unmapped_stack_and_missing_region_are_errors():
    with pytest.raises(InputError, match="stack 'a': no account in the account map for 't-qa', 'qa', 't'"):
        estate_from_stacks({"a": _stack({"tenant": "t", "stage": "qa", "region": "r"}, vpc=({}, {}))}, {})
    with pytest.raises(InputError, match="vars.region is not set"):
        estate_from_stacks({"a": _stack({"stage": "dev"}, vpc=({}, {}))}, {"dev": "dev"})
