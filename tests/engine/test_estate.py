"""The estate derived from the Atmos stacks (stacks.account_map) merged into the configured one."""

from __future__ import annotations

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import ConfigError
from opsbook.engine.estate import expand, merge
from opsbook.providers.atmos.estate import EstateEntry
from opsbook.sandbox.stacks import sandbox_stacks_dir


def cfg(**stacks: object) -> Config:
    return Config.model_validate(
        {
            "accounts": [{"name": "dev", "id": "111111111111", "regions": ["eu-west-1"]}],
            "stacks": {"account_map": {"dev": "dev"}, **stacks},
        }
    )


def test_named_account_gets_the_stack_region_and_cluster() -> None:
    out = merge(cfg(), [EstateEntry("dev", "us-east-1", "my-cluster"), EstateEntry("dev", "eu-west-1", None)])
    (dev,) = out.accounts
    assert dev.regions == ["eu-west-1", "us-east-1"]
    assert [(c.name, c.eks.account, c.eks.region, c.eks.name) for c in out.clusters if c.eks] == [
        ("dev/my-cluster", "dev", "us-east-1", "my-cluster")
    ]


def test_account_id_by_configured_id_and_through_role_name() -> None:
    out = merge(
        cfg(role_name="OpsbookReadOnly"),
        [
            EstateEntry("111111111111", "us-east-1", None),
            EstateEntry("222222222222", "us-east-1", "my-cluster"),
        ],
    )
    names = {a.name: a for a in out.accounts}
    assert names["dev"].regions == ["eu-west-1", "us-east-1"]
    new = names["account-222222222222"]
    assert new.role_arn == "arn:aws:iam::222222222222:role/OpsbookReadOnly" and new.regions == ["us-east-1"]
    with pytest.raises(ConfigError, match="set stacks.role_name"):
        merge(cfg(), [EstateEntry("222222222222", "us-east-1", None)])
    with pytest.raises(ConfigError, match="'nope', which is not in `accounts`"):
        merge(cfg(), [EstateEntry("nope", "us-east-1", None)])


def test_clusters_off_and_same_cluster_name_in_two_accounts() -> None:
    entries = [
        EstateEntry("dev", "us-east-1", "my-cluster"),
        EstateEntry("222222222222", "us-east-1", "my-cluster"),
    ]
    assert merge(cfg(role_name="R", clusters=False), entries).clusters == []
    names = [c.name for c in merge(cfg(role_name="R"), entries).clusters]
    assert names == ["dev/my-cluster", "account-222222222222/my-cluster"]


def test_expand_reads_the_sandbox_stacks_tree() -> None:
    base = Config.model_validate(
        {
            "accounts": [
                {"name": n, "id": i, "regions": []}
                for n, i in (("dev", "111111111111"), ("staging", "222222222222"))
            ],
            "stacks": {
                "atmos_config": str(sandbox_stacks_dir()),
                "account_map": {"dev": "dev", "staging": "staging", "prod": "333333333333"},
                "role_name": "OpsbookReadOnly",
            },
        }
    )
    out = expand(base)
    assert {a.name: a.regions for a in out.accounts} == {
        "dev": ["us-east-1"],
        "staging": ["us-east-1"],
        "account-333333333333": ["us-east-1"],
    }
    assert sorted((c.eks.account, c.name) for c in out.clusters if c.eks) == [
        ("account-333333333333", "account-333333333333/my-cluster"),
        ("dev", "dev/my-cluster"),
        ("staging", "staging/my-cluster"),
    ]
    assert expand(Config()) == Config()
