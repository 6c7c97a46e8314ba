"""EKS add-ons as the sandbox keeps them (moto has none): the catalogue of versions EKS offers
(eks_addon_versions.yaml, approximate) and each cluster's installed add-ons.

Installed add-ons live in `data.extra["eks.addons"][account id][(region, cluster)][name]`, each already in
the shape DescribeAddon answers (`createdAt` / `modifiedAt` as epoch seconds). `readiness_problems` is the
part of EKS's upgrade insights that UpdateClusterVersion enforces unless `force`: every installed add-on
must have a version compatible with the target (kube-proxy, whose versions belong to one minor each, may
instead be up to three minors older than the target, as the Kubernetes skew policy allows).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from opsbook.core.kube_versions import minor_of
from opsbook.sandbox.aws.data import SandboxData

KEY = "eks.addons"
PUBLISHER, OWNER, NAMESPACE = "eks", "aws", "kube-system"
KUBE_PROXY_SKEW = 3  # minors kube-proxy may be behind the API server (Kubernetes version skew policy, 1.28+)


@dataclass(frozen=True)
class AddonVersion:
    version: str
    clusters: tuple[str, ...]  # the minors it supports, oldest first
    defaults: tuple[str, ...]  # the minors it is the default version for


def _minors(span: str) -> tuple[str, ...]:
    low, _, high = span.partition("-")
    first, last = int(low.split(".")[1]), int((high or low).split(".")[1])
    return tuple(f"1.{m}" for m in range(first, last + 1))


@functools.cache
def catalog() -> dict[str, tuple[str, tuple[AddonVersion, ...]]]:
    """Add-on name -> (type, its versions newest first)."""
    raw = yaml.safe_load((Path(__file__).parent / "eks_addon_versions.yaml").read_text(encoding="utf-8"))
    return {
        name: (
            spec["type"],
            tuple(
                AddonVersion(v, _minors(s["clusters"]), _minors(s["default"]) if s.get("default") else ())
                for v, s in spec["versions"].items()
            ),
        )
        for name, spec in raw.items()
    }


def find(name: str, version: str) -> AddonVersion | None:
    return next((v for v in catalog().get(name, ("", ()))[1] if v.version == version), None)


def compatible(name: str, version: str, cluster_version: str) -> bool:
    found = find(name, version)
    return found is not None and cluster_version in found.clusters


def default_version(name: str, cluster_version: str) -> str | None:
    versions = catalog().get(name, ("", ()))[1]
    return next((v.version for v in versions if cluster_version in v.defaults), None)


def describe_versions(
    kubernetes_version: str | None,
    name: str | None,
    types: list[str],
    publishers: list[str],
    owners: list[str],
) -> list[dict[str, Any]]:
    """DescribeAddonVersions' `addons`: each add-on's versions with their compatibilities, only those for
    `kubernetes_version` when given, as EKS filters."""
    out = []
    for addon, (kind, versions) in catalog().items():
        if (
            (name and addon != name)
            or (types and kind not in types)
            or (publishers and PUBLISHER not in publishers)
        ):
            continue
        if owners and OWNER not in owners:
            continue
        listed = []
        for v in versions:
            clusters = [c for c in v.clusters if not kubernetes_version or c == kubernetes_version]
            if clusters:
                listed.append({
                    "addonVersion": v.version, "architecture": ["amd64", "arm64"], "computeTypes": ["ec2"],
                    "compatibilities": [{"clusterVersion": c, "platformVersions": ["*"],
                                         "defaultVersion": c in v.defaults} for c in clusters],
                    "requiresConfiguration": False, "requiresIamPermissions": False,
                })  # fmt: skip
        if listed:
            out.append({"addonName": addon, "type": kind, "addonVersions": listed, "publisher": PUBLISHER,
                        "owner": OWNER, "defaultNamespace": NAMESPACE})  # fmt: skip
    return out


def installed(data: SandboxData, account_id: str, region: str, cluster: str) -> dict[str, dict[str, Any]]:
    """The cluster's add-ons by name (the live dicts: change them under `data.lock`)."""
    with data.lock:
        accounts = data.extra.setdefault(KEY, {})
        kept: dict[str, dict[str, Any]] = accounts.setdefault(account_id, {}).setdefault(
            (region, cluster), {}
        )
        return kept


def install(data: SandboxData, account_id: str, region: str, cluster: str, name: str, version: str, *,
            status: str = "ACTIVE", created: float, modified: float | None = None) -> dict[str, Any]:  # fmt: skip
    """Put an add-on on a cluster as EKS describes it (seeds: ACTIVE; CreateAddon: CREATING)."""
    addon = {
        "addonName": name, "clusterName": cluster, "status": status, "addonVersion": version,
        "health": {"issues": []},
        "addonArn": f"arn:aws:eks:{region}:{account_id}:addon/{cluster}/{name}/{uuid.uuid4()}",
        "createdAt": created, "modifiedAt": modified if modified is not None else created, "tags": {},
        "publisher": PUBLISHER, "owner": OWNER,
    }  # fmt: skip
    addons = installed(data, account_id, region, cluster)
    with data.lock:
        addons[name] = addon
    return addon


def readiness_problems(
    data: SandboxData, account_id: str, region: str, cluster: str, target: str
) -> list[str]:
    """What EKS's upgrade insights would hold against moving `cluster` to `target` because of its add-ons."""
    problems = []
    want = tuple(int(p) for p in target.split("."))
    with data.lock:
        addons = [dict(a) for a in installed_view(data, account_id, region, cluster)]
    for addon in addons:
        name, version = addon["addonName"], addon["addonVersion"]
        if name == "kube-proxy":
            have = minor_of(version)
            if have is None or have > want or want[1] - have[1] > KUBE_PROXY_SKEW:
                problems.append(f"kube-proxy {version} is outside the skew policy for {target}")
        elif not compatible(name, version, target):
            problems.append(f"{name} {version} is not compatible with Kubernetes {target}")
    return problems


def installed_view(data: SandboxData, account_id: str, region: str, cluster: str) -> list[dict[str, Any]]:
    """The cluster's add-ons, for reading while holding `data.lock`."""
    return list(data.extra.get(KEY, {}).get(account_id, {}).get((region, cluster), {}).values())
