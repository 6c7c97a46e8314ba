"""The resource catalog the fake Kubernetes API serves, and the discovery documents built from it.

Discovery is the legacy (non-aggregated) kind: `/api`, `/api/v1`, `/apis`, `/apis/<group>`,
`/apis/<group>/<version>`. kubectl 1.32 asks for aggregated discovery first
(`Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`) and falls back to
the legacy documents when the response's Content-Type is plain `application/json`, which is what
this server always answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opsbook.sandbox.estate import KUBERNETES_PATCH

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ_VERBS = ("get", "list")


@dataclass(frozen=True)
class ResourceType:
    """One served resource: `pods` in core/v1, `deployments` in apps/v1, `backups` in velero.io/v1..."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    deprecated: bool = False  # requests to it are recorded for /metrics (apimetrics.py)
    removed_release: str = ""  # the release that stops serving it ("" : none scheduled)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def key(self) -> str:
        """`plural` for core resources, `plural.group` otherwise (kubectl's fully qualified form)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _rt(
    group: str,
    version: str,
    plural: str,
    kind: str,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    subs: tuple[str, ...] = ("status",),
    verbs: tuple[str, ...] = ALL_VERBS,
    cats: tuple[str, ...] = (),
) -> ResourceType:
    return ResourceType(group, version, plural, kind, namespaced, short, verbs, subs, cats)


RESOURCES: tuple[ResourceType, ...] = (
    _rt("", "v1", "namespaces", "Namespace", False, ("ns",)),
    _rt("", "v1", "nodes", "Node", False, ("no",)),
    _rt(
        "", "v1", "pods", "Pod", True, ("po",), ("status", "log", "eviction", "exec", "attach"), cats=("all",)
    ),
    _rt("", "v1", "services", "Service", True, ("svc",), cats=("all",)),
    _rt("", "v1", "endpoints", "Endpoints", True, ("ep",), ()),
    _rt("", "v1", "events", "Event", True, ("ev",), ()),
    _rt("", "v1", "secrets", "Secret", True, (), ()),
    _rt("", "v1", "configmaps", "ConfigMap", True, ("cm",), ()),
    _rt("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), ()),
    _rt("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("status", "scale"), cats=("all",)),
    _rt("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("status", "scale"), cats=("all",)),
    _rt("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), ("status", "scale"), cats=("all",)),
    _rt("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), cats=("all",)),
    _rt("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ("hpa",)),
    _rt("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ("hpa",)),
    _rt("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",)),
    _rt("batch", "v1", "jobs", "Job", True, (), cats=("all",)),
    _rt("batch", "v1", "cronjobs", "CronJob", True, ("cj",), cats=("all",)),
    _rt("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False, (), ()),
    _rt("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False, (), ()),
    _rt("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False, (), ()),
    _rt("rbac.authorization.k8s.io", "v1", "roles", "Role", True, (), ()),
    _rt("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True, (), ()),
    _rt(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        ("crd", "crds"),
    ),
    _rt("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", False, (), (), READ_VERBS),
    _rt("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", True, (), (), READ_VERBS),
    _rt("velero.io", "v1", "backups", "Backup", True, (), (), cats=("velero",)),
    _rt("velero.io", "v1", "restores", "Restore", True, (), (), cats=("velero",)),
    _rt("velero.io", "v1", "schedules", "Schedule", True, (), (), cats=("velero",)),
    _rt("velero.io", "v1", "downloadrequests", "DownloadRequest", True, (), (), cats=("velero",)),
    _rt(
        "velero.io",
        "v1",
        "backupstoragelocations",
        "BackupStorageLocation",
        True,
        ("bsl",),
        (),
        cats=("velero",),
    ),
)

# Group order as `/apis` lists it; a group's first version in the catalog is its preferred one
# (autoscaling serves v2 and v1: HPAs are stored as v2, and `conversion.py` translates v1).
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(r.group for r in RESOURCES if r.group))
# `extra` below: the resource types a store added at run time (custom resources, `crds.py`).
Extra = Sequence[ResourceType]


def groups(extra: Extra = ()) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*GROUPS, *(r.group for r in extra)]))


def find(group: str, version: str, plural: str, extra: Extra = ()) -> ResourceType | None:
    for rt in (*RESOURCES, *extra):
        if rt.group == group and rt.version == version and rt.plural == plural:
            return rt
    return None


def resolve(name: str, extra: Extra = ()) -> ResourceType:
    """Resolve `pods`, `po`, `Pod`, `deployments.apps` or `nodes.metrics.k8s.io` to one resource type.

    A bare name prefers the core group, then the catalog order (so `nodes` is core v1 nodes).
    """
    plural, _, group = name.partition(".")
    for rt in (*RESOURCES, *extra):
        if group and rt.group != group:
            continue
        if plural in (rt.plural, rt.kind, rt.singular) or plural in rt.short_names:
            return rt
    raise KeyError(f"unknown resource {name!r}")


def group_versions(group: str, extra: Extra = ()) -> list[str]:
    return list(dict.fromkeys(r.version for r in (*RESOURCES, *extra) if r.group == group))


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group(group: str, extra: Extra = ()) -> dict[str, Any]:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in group_versions(group, extra)]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": versions,
        "preferredVersion": versions[0],
    }


def api_group_list(extra: Extra = ()) -> dict[str, Any]:
    listed = []
    for group in groups(extra):
        doc = api_group(group, extra)
        del doc["kind"], doc["apiVersion"]
        listed.append(doc)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": listed}


def api_resource_list(group: str, version: str, extra: Extra = ()) -> dict[str, Any] | None:
    served = [r for r in (*RESOURCES, *extra) if r.group == group and r.version == version]
    if not served:
        return None
    resources: list[dict[str, Any]] = []
    for rt in served:
        entry: dict[str, Any] = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": list(rt.verbs),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub in rt.subresources:
            resources.append(_subresource_entry(rt, sub))
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _subresource_entry(rt: ResourceType, sub: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced}
    if sub == "scale":
        entry.update(group="autoscaling", version="v1", kind="Scale", verbs=["get", "patch", "update"])
    elif sub == "log":
        entry.update(kind="Pod", verbs=["get"])
    elif sub in ("exec", "attach"):
        entry.update(kind=f"Pod{sub.capitalize()}Options", verbs=["create", "get"])
    elif sub == "eviction":
        entry.update(group="policy", version="v1", kind="Eviction", verbs=["create"])
    else:
        entry.update(kind=rt.kind, verbs=["get", "patch", "update"])
    return entry


def version_info(patch: str | None = None) -> dict[str, str]:
    """The API server's version: its EKS cluster's (`patch`, e.g. "1.33.1"; KUBERNETES_PATCH unless the
    cluster was upgraded), as EKS reports it."""
    patch = patch or KUBERNETES_PATCH
    major, minor = patch.split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": f"v{patch}-eks-opsbook-sandbox",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
