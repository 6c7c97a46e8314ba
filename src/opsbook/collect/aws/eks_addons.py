"""EKS add-ons of every cluster (ListAddons + one DescribeAddon each) with the versions EKS offers for the
upgrade's target and for the live control plane: one DescribeAddonVersions per add-on, filtered by its
name only, answers both (each version lists the cluster versions it is compatible with), so the pre-flight
(`upgrade.addon_compat`) can name a version to move to before the upgrade that works on both."""

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
        now, target = text(current), text(ctx.settings.target_for(current))
        for page in eks.get_paginator("list_addons").paginate(clusterName=cluster.name):
            for name in page.get("addons", []):
                addon = eks.describe_addon(clusterName=cluster.name, addonName=name)["addon"]
                compatible, defaults = offered(eks, name)
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
                        cluster_version=now,
                        target=target,
                        compatible=compatible.get(target, []),
                        compatible_now=compatible.get(now, []),
                        default=defaults.get(target),
                    )
                )
    return out


def offered(eks: Any, name: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Add-on `name`'s versions by the Kubernetes minor they are compatible with (in EKS's order, newest
    first), and the default version of each minor."""
    compatible: dict[str, list[str]] = {}
    defaults: dict[str, str] = {}
    for page in eks.get_paginator("describe_addon_versions").paginate(addonName=name):
        for listed in page.get("addons", []):
            if listed.get("addonName") != name:
                continue
            for version in listed.get("addonVersions", []):
                for c in version.get("compatibilities", []):
                    minor = str(c.get("clusterVersion", ""))
                    compatible.setdefault(minor, []).append(version["addonVersion"])
                    if c.get("defaultVersion"):
                        defaults[minor] = version["addonVersion"]
    return compatible, defaults
