"""The add-ons an EKS upgrade moves (`aws eks describe-addon-versions --addon-name <addon>`, as the pre-flight reads it): every
installed EKS add-on whose version is not among those compatible with the target goes to the version EKS
marks as the target's default; one already compatible stays. The core add-ons (vpc-cni, coredns, kube-proxy)
are listed first; one that is not an EKS add-on on the cluster (self-managed) is a warning, as is an add-on
with no version for the target (the pre-flight reports it as a blocker). An add-on in the middle of an
update is refused: the upgrade would collide with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsbook.collect.aws.eks_addons import offered

CORE = ("vpc-cni", "coredns", "kube-proxy")


@dataclass
class Addon:
    name: str
    version: str
    status: str
    to: str | None = None  # the version to move to; None: it stays
    warnings: list[str] = field(default_factory=list)


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
        by_minor, defaults = offered(eks, name)  # the pre-flight's reading of describe-addon-versions
        versions, default = by_minor.get(to, []), defaults.get(to)
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
