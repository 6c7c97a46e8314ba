"""The add-ons an EKS upgrade moves (`aws eks describe-addon-versions --kubernetes-version <to>`): every
installed EKS add-on whose version is not among those compatible with the target goes to the version EKS
marks as the target's default; one already compatible stays. The core add-ons (vpc-cni, coredns, kube-proxy)
are listed first; one that is not an EKS add-on on the cluster (self-managed) is a warning, as is an add-on
with no version for the target (the pre-flight reports it as a blocker). An add-on in the middle of an
update is refused: the upgrade would collide with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CORE = ("vpc-cni", "coredns", "kube-proxy")


@dataclass
class Addon:
    name: str
    version: str
    status: str
    to: str | None = None  # the version to move to; None: it stays
    warnings: list[str] = field(default_factory=list)


def compatible(eks: Any, addon: str, to: str) -> tuple[list[str], str | None]:
    """(versions compatible with Kubernetes `to`, EKS's default among them)."""
    versions: list[str] = []
    default = None
    pages = eks.get_paginator("describe_addon_versions").paginate(addonName=addon, kubernetesVersion=to)
    for page in pages:
        for found in page.get("addons") or []:
            for v in found.get("addonVersions") or []:
                fits = [c for c in v.get("compatibilities") or [] if c.get("clusterVersion") == to]
                if fits:
                    versions.append(v["addonVersion"])
                    if any(c.get("defaultVersion") for c in fits):
                        default = v["addonVersion"]
    return versions, default


def addon_changes(eks: Any, cluster: str, installed: list[str], to: str, refuse: Any) -> list[Addon]:
    out = []
    order = [a for a in CORE if a in installed] + sorted(a for a in installed if a not in CORE)
    for name in order:
        a = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
        addon = Addon(name, a.get("addonVersion", ""), a.get("status", "UNKNOWN"))
        if addon.status not in ("ACTIVE", "DEGRADED"):
            raise refuse(
                f"add-on {name} of {cluster} is {addon.status}: wait until it is ACTIVE, then plan again"
            )
        versions, default = compatible(eks, name, to)
        if addon.version in versions:
            pass  # already compatible with the target: it stays
        elif default is None:
            addon.warnings.append(
                f"add-on {name} {addon.version}: EKS names no default version for {to}; not updated"
            )
        else:
            addon.to = default
        out.append(addon)
    for name in CORE:
        if name not in installed:
            out.append(Addon(name, "", "", warnings=[f"{name} is not an EKS add-on on {cluster} (self-managed?): "
                                                     f"update it yourself to a version for {to}"]))  # fmt: skip
    return out
