"""The read-only ClusterRole opsbook's Kubernetes checks need, derived from what their collectors declare.

A Kubernetes collector (and a check, for reads of its own) declares each read in `kubectl auth can-i`
words (core/collectors.py): `list pods`, `get pods/log`, `list deployments.apps`,
`list nodes.metrics.k8s.io`, `get /metrics`. `rules()` turns the declared reads of every Kubernetes check
and collector into RBAC PolicyRules: a listed resource gets get, list and watch; a resource only read by
name (`get configmaps`, `get pods/log`) gets get; a non-resource URL gets get. Nothing else is granted,
so `cluster_role()` (`opsbook k8s rbac`, deploy/kubernetes/base/clusterrole.yaml) is read-only by
construction. Procedures (which write) are not covered: they run with the operator's own credentials.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from opsbook.core.checks import CHECKS
from opsbook.core.collectors import COLLECTORS
from opsbook.core.models import TargetKind
from opsbook.engine.selection import load_builtin

NAME = "opsbook-read"
# a declared verb -> what the ClusterRole grants for it (a list is as good as a watch: both read every item)
GRANTS: dict[str, tuple[str, ...]] = {"list": ("get", "list", "watch"), "get": ("get",), "watch": ("watch",)}
RBAC = "rbac.authorization.k8s.io/v1"


def parse(permission: str) -> tuple[str, str | None, str]:
    """`list deployments.apps` -> ("list", "apps", "deployments"); `get pods/log` -> ("get", "", "pods/log");
    `get /metrics` -> ("get", None, "/metrics") (a non-resource URL). ValueError for anything that is not a
    read in those words."""
    verb, _, what = permission.strip().partition(" ")
    if verb not in GRANTS or not what or " " in what:
        raise ValueError(f"not a Kubernetes read (`list pods`, `get /version`): {permission!r}")
    if what.startswith("/"):
        return verb, None, what
    base, _, sub = what.partition("/")
    plural, _, group = base.partition(".")
    return verb, group, plural + (f"/{sub}" if sub else "")


def declared() -> list[str]:
    """Every Kubernetes read declared by a check or a collector (sorted, each once)."""
    load_builtin()
    found = {p for c in COLLECTORS if c.target_kind is TargetKind.K8S for p in c.permissions}
    found |= {p for s in CHECKS if s.target_kind is TargetKind.K8S for p in s.all_permissions()}
    return sorted(found)


def rules(permissions: Iterable[str]) -> list[dict[str, Any]]:
    """RBAC PolicyRules granting exactly `permissions` (reads), grouped per API group and verb set."""
    resources: dict[tuple[str, str], set[str]] = defaultdict(set)
    urls: dict[str, set[str]] = defaultdict(set)
    for p in permissions:
        verb, group, resource = parse(p)
        if group is None:
            urls[resource].add("get" if verb == "list" else verb)
        else:
            resources[(group, resource)].update(GRANTS[verb])
    by_group: dict[str, dict[tuple[str, ...], list[str]]] = defaultdict(lambda: defaultdict(list))
    for (group, resource), verbs in resources.items():
        by_group[group][_ordered(verbs)].append(resource)
    out: list[dict[str, Any]] = []
    for group in sorted(by_group):
        for granted, names in sorted(by_group[group].items()):
            out.append({"apiGroups": [group], "resources": sorted(names), "verbs": list(granted)})
    by_verbs: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for url, verbs in urls.items():
        by_verbs[_ordered(verbs)].append(url)
    for granted, paths in sorted(by_verbs.items()):
        out.append({"nonResourceURLs": sorted(paths), "verbs": list(granted)})
    return out


def _ordered(verbs: Iterable[str]) -> tuple[str, ...]:
    order = ("get", "list", "watch")
    return tuple(v for v in order if v in set(verbs))


def cluster_role(name: str = NAME) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": rules(declared()),
    }
