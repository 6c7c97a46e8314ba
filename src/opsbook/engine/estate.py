"""The estate from the Atmos stacks: accounts, regions and clusters a run covers without listing them again.

`expand(cfg)` returns a Config whose `accounts` and `clusters` also hold what `stacks.account_map` derives
from the stacks (see providers/atmos/estate.py): an account named in the map is used as configured (its
regions extended); a 12-digit id not configured becomes an account reached through `stacks.role_name`.
"""

from __future__ import annotations

from opsbook.core.config import Account, Cluster, Config, EksRef
from opsbook.core.errors import ConfigError, one_line
from opsbook.providers.atmos.estate import EstateEntry, estate_from_atmos


def expand(cfg: Config) -> Config:
    if cfg.stacks is None or not cfg.stacks.account_map:
        return cfg
    entries = estate_from_atmos(cfg.stacks.atmos_config, cfg.stacks.account_map, cfg.stacks.cluster_component)
    return merge(cfg, entries)


def expand_or_keep(cfg: Config) -> tuple[Config, str | None]:
    """`expand(cfg)`, or — when the stacks cannot be read (a broken manifest, a missing import, a
    template error...) — `cfg` as configured and the one-line reason. A stacks problem must not stop
    the AWS and Kubernetes targets; opsbook's own config (an account_map naming no account) still does."""
    try:
        return expand(cfg), None
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure reading the stacks: fall back, say why
        return cfg, one_line(exc)


def merge(cfg: Config, entries: list[EstateEntry]) -> Config:
    assert cfg.stacks is not None
    accounts = {a.name: a.model_copy() for a in cfg.accounts}
    by_id = {a.id: a.name for a in cfg.accounts if a.id}
    clusters = list(cfg.clusters)
    for entry in entries:
        name = _account_name(cfg, entry.account, accounts, by_id)
        acct = accounts[name]
        regions = list(acct.regions or cfg.aws.default_regions)
        if entry.region not in regions:
            regions.append(entry.region)
        accounts[name] = acct.model_copy(update={"regions": regions})
        if entry.cluster and cfg.stacks.clusters:
            ref = EksRef(account=name, region=entry.region, name=entry.cluster)
            if not any(c.eks == ref for c in clusters):
                clusters.append(Cluster(name=f"{name}/{entry.cluster}", eks=ref))
    return cfg.model_copy(update={"accounts": list(accounts.values()), "clusters": clusters})


def _account_name(cfg: Config, value: str, accounts: dict[str, Account], by_id: dict[str, str]) -> str:
    if value in accounts:
        return value
    if value in by_id:
        return by_id[value]
    if value.isdigit() and len(value) == 12:
        if not cfg.stacks or not cfg.stacks.role_name:
            raise ConfigError(
                f"stacks.account_map: account id {value} is not in `accounts`; add it there or set stacks.role_name"
            )
        name = f"account-{value}"
        accounts[name] = Account(
            name=name, id=value, role_arn=f"arn:aws:iam::{value}:role/{cfg.stacks.role_name}"
        )
        by_id[value] = name
        return name
    raise ConfigError(f"stacks.account_map: maps to account {value!r}, which is not in `accounts`")
