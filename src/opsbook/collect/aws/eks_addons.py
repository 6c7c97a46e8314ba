"""EKS add-ons of every cluster (ListAddons + one DescribeAddon each) with the versions EKS offers for the
upgrade's target (one DescribeAddonVersions per add-on, `kubernetesVersion` = the target): what the
pre-flight's `upgrade.addon_compat` compares the installed version with."""

from __future__ import annotations

from typing import Any

from opsbook.collect.aws.upgrade_models import EksAddon
from opsbook.core.collectors import CollectContext, SettingsOf, collector
from opsbook.core.kube_versions import UpgradeTarget, minor_of, text

CHECK = "upgrade.addon_compat"


@collector(
    "eks.addons",
    permissions=("eks:ListAddons", "eks:DescribeAddon", "eks:DescribeAddonVersions"),
    deps=("eks.clusters",),
    settings=SettingsOf(CHECK, UpgradeTarget),
)
def addons(ctx: CollectContext) -> list[EksAddon]:
    eks = ctx.client("eks")
    out: list[EksAddon] = []
    for cluster in ctx.get("eks.clusters"):
        current = minor_of(cluster.version)
        if current is None:  # no version to upgrade from: upgrade.version_step says so
            continue
        target = text(ctx.settings.target_for(current))
        for page in eks.get_paginator("list_addons").paginate(clusterName=cluster.name):
            for name in page.get("addons", []):
                addon = eks.describe_addon(clusterName=cluster.name, addonName=name)["addon"]
                compatible, default = offered(eks, name, target)
                issues = [
                    f"{i.get('code')}: {i.get('message', '')}".strip()
                    for i in (addon.get("health") or {}).get("issues", [])
                ]
                out.append(
                    EksAddon(
                        cluster=cluster.name,
                        name=name,
                        version=addon.get("addonVersion", ""),
                        status=addon.get("status", "UNKNOWN"),
                        health_issues=issues,
                        target=target,
                        compatible=compatible,
                        default=default,
                    )
                )
    return out


def offered(eks: Any, name: str, target: str) -> tuple[list[str], str | None]:
    """The versions of add-on `name` EKS lists as compatible with Kubernetes `target`, and its default."""
    compatible: list[str] = []
    default = None
    pages = eks.get_paginator("describe_addon_versions").paginate(addonName=name, kubernetesVersion=target)
    for page in pages:
        for listed in page.get("addons", []):
            if listed.get("addonName") != name:
                continue
            for version in listed.get("addonVersions", []):
                fits = [c for c in version.get("compatibilities", []) if c.get("clusterVersion") == target]
                if fits:
                    compatible.append(version["addonVersion"])
                    if any(c.get("defaultVersion") for c in fits):
                        default = version["addonVersion"]
    return compatible, default
