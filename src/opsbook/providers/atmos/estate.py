"""The estate from the stacks: which (account, region, cluster) a run should cover, without listing them.

`estate_from_stacks(describe_stacks_output, account_map)` is pure. A stack's account comes from its vars
through `account_map`, looked up by `"<tenant>-<stage>"`, then `stage`, then `tenant`, then `account_id`;
its region is `vars.region`; its clusters are `vars.cluster_name` of the cluster component(s) (the Atmos
component named `cluster_component`, or any component whose Terraform folder has that name), skipping
abstract and disabled ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from opsbook.core.errors import InputError


class EstateEntry(NamedTuple):
    account: str  # the account name the map gives
    region: str
    cluster: str | None  # the EKS cluster name, None when the stack has no cluster component


def stack_account(stack: str, vars_: dict[str, Any], account_map: dict[str, str]) -> str:
    tenant, stage = vars_.get("tenant"), vars_.get("stage")
    keys = [f"{tenant}-{stage}" if tenant and stage else None, stage, tenant, vars_.get("account_id")]
    for key in keys:
        if key is not None and str(key) in account_map:
            return account_map[str(key)]
    tried = ", ".join(repr(str(k)) for k in keys if k is not None) or "no tenant/stage/account_id vars"
    raise InputError(
        f"stack '{stack}': no account in the account map for {tried}; add one of them to stacks.account_map"
    )


def _is_cluster(name: str, section: dict[str, Any], cluster_component: str) -> bool:
    meta = section.get("metadata") or {}
    if meta.get("type") == "abstract" or meta.get("enabled") is False:
        return False
    folders = (section.get("component"), meta.get("component"))  # its base, or a folder set by metadata
    return name == cluster_component or cluster_component in folders


class ClusterComponent(NamedTuple):
    """One cluster component of one stack: where it deploys and the vars it resolves to."""

    stack: str
    component: str  # the Atmos component's name (`eks`)
    account: str  # the account name the map gives
    region: str
    cluster: str  # vars.cluster_name (or vars.name)
    vars: dict[str, Any]


def cluster_components(
    stacks: dict[str, Any], account_map: dict[str, str], cluster_component: str = "eks"
) -> list[ClusterComponent]:
    """Every named cluster component of every stack (same rules and errors as `estate_from_stacks`)."""
    found: list[ClusterComponent] = []
    for stack, account, region, clusters in _places(stacks, account_map, cluster_component):
        for name, section in clusters:
            if cluster := _cluster_name(section):
                found.append(
                    ClusterComponent(stack, name, account, region, cluster, section.get("vars") or {})
                )
    return found


def _cluster_name(section: dict[str, Any]) -> str:
    vars_ = section.get("vars") or {}
    return str(vars_.get("cluster_name") or vars_.get("name") or "")


def _places(
    stacks: dict[str, Any], account_map: dict[str, str], cluster_component: str
) -> Iterator[tuple[str, str, str, list[tuple[str, dict[str, Any]]]]]:
    """(stack, account, region, its cluster components) for every stack with components."""
    for stack, body in stacks.items():
        components = ((body or {}).get("components") or {}).get("terraform") or {}
        if not components:
            continue
        clusters = [(n, s) for n, s in components.items() if _is_cluster(n, s, cluster_component)]
        sample = clusters[0][1] if clusters else next(iter(components.values()))
        vars_ = sample.get("vars") or {}
        account = stack_account(stack, vars_, account_map)
        region = vars_.get("region")
        if not region:
            raise InputError(f"stack '{stack}': vars.region is not set; set it in the stack's manifests")
        yield stack, account, str(region), clusters


def estate_from_stacks(
    stacks: dict[str, Any], account_map: dict[str, str], cluster_component: str = "eks"
) -> list[EstateEntry]:
    """(account, region, cluster) entries, sorted and without duplicates.

    `stacks` is `Stacks.describe_stacks()` output ({stack: {components: {terraform: {name: section}}}}).
    One entry per cluster of a stack, or one with cluster None when the stack has no cluster component.
    Raises InputError naming the stack when its account or region cannot be determined.
    """
    found: set[EstateEntry] = set()
    for _, account, region, clusters in _places(stacks, account_map, cluster_component):
        clusters_found: list[str | None] = [n for _, s in clusters if (n := _cluster_name(s))]
        for cluster in clusters_found or [None]:
            found.add(EstateEntry(account, region, cluster))
    return sorted(found, key=lambda e: (e.account, e.region, e.cluster or ""))


def estate_from_atmos(
    atmos_dir: str | Path | None, account_map: dict[str, str], cluster_component: str = "eks"
) -> list[EstateEntry]:
    """`estate_from_stacks` of the Atmos tree whose atmos.yaml is in `atmos_dir` (None: $ATMOS_CLI_CONFIG_PATH/cwd)."""
    from opsbook.providers.atmos.resolver import Stacks

    return estate_from_stacks(Stacks.load(atmos_dir).describe_stacks(), account_map, cluster_component)
