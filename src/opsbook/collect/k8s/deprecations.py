"""Use of removed and deprecated Kubernetes APIs, two ways (upgrade pre-flight):

- `k8s.applied_apis`: objects whose `kubectl.kubernetes.io/last-applied-configuration` names a version in
  the removal table (api_removals.yaml): the manifest they come from still says it. One listing per
  current endpoint of a table kind (PodDisruptionBudgets come from `k8s.pdbs`, already listed); an
  endpoint the cluster does not serve (404) is noted, not an error.
- `k8s.deprecated_api_requests`: the API server's `apiserver_requested_deprecated_apis` gauge (GET
  /metrics): every deprecated API some client requested since the server started, with the release
  that removes it.
"""

from __future__ import annotations

import re

from opsbook.collect.k8s import api_removals
from opsbook.collect.k8s.cluster_info import last_applied
from opsbook.collect.k8s.upgrade_models import AppliedObject, AppliedScan, DeprecatedRequest, K8sPdb
from opsbook.core.collectors import CollectContext, collector
from opsbook.core.models import TargetKind

PDBS = ("policy", "v1", "poddisruptionbudgets")
GAUGE = "apiserver_requested_deprecated_apis"
_SERIES = re.compile(rf"^{GAUGE}\{{(?P<labels>[^}}]*)\}}\s+(?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _name(group: str, resource: str) -> str:
    return f"{resource}.{group}" if group else resource


def _path(group: str, version: str, resource: str) -> str:
    return f"/apis/{group}/{version}/{resource}" if group else f"/api/{version}/{resource}"


LISTED = tuple(e for e in api_removals.scanned() if e != PDBS)


@collector(
    "k8s.applied_apis",
    permissions=tuple(f"list {_name(g, r)}" for g, _, r in LISTED),
    deps=("k8s.pdbs",),
    target_kind=TargetKind.K8S,
)
def applied_apis(ctx: CollectContext) -> AppliedScan:
    from kubernetes.client.exceptions import ApiException

    api = ctx.client("api")
    found: list[AppliedObject] = []
    scanned, not_served, looked_at = [_name(PDBS[0], PDBS[2])], [], 0
    pdbs: list[K8sPdb] = ctx.get("k8s.pdbs")
    for pdb in pdbs:
        looked_at += 1
        if pdb.applied_api_version and api_removals.find(pdb.applied_api_version, "PodDisruptionBudget"):
            found.append(AppliedObject(kind="PodDisruptionBudget", namespace=pdb.namespace, name=pdb.name,
                                       api_version=pdb.applied_api_version))  # fmt: skip
    for group, version, resource in LISTED:
        try:
            items = api.list_items(_path(group, version, resource))
        except ApiException as exc:
            if exc.status != 404:
                raise
            not_served.append(_name(group, resource))
            continue
        scanned.append(_name(group, resource))
        for obj in items:
            looked_at += 1
            applied = last_applied(obj) or {}
            kind, named = str(applied.get("kind", "")), str(applied.get("apiVersion", ""))
            if api_removals.find(named, kind) is not None:
                meta = obj.get("metadata") or {}
                found.append(AppliedObject(kind=kind, namespace=meta.get("namespace"), name=meta.get("name", ""),
                                           api_version=named))  # fmt: skip
    return AppliedScan(
        objects=tuple(found), scanned=tuple(scanned), not_served=tuple(not_served), looked_at=looked_at
    )


@collector("k8s.deprecated_api_requests", permissions=("get /metrics",), target_kind=TargetKind.K8S)
def deprecated_api_requests(ctx: CollectContext) -> list[DeprecatedRequest]:
    text = ctx.client("api").get("/metrics", accept="text/plain").decode("utf-8", "replace")
    return parse_gauge(text)


def parse_gauge(text: str) -> list[DeprecatedRequest]:
    """The non-zero series of `apiserver_requested_deprecated_apis` in Prometheus' text format."""
    out = []
    for line in text.splitlines():
        match = _SERIES.match(line.strip())
        if match is None or float(match["value"]) == 0:
            continue
        labels = {k: v.replace('\\"', '"').replace("\\\\", "\\") for k, v in _LABEL.findall(match["labels"])}
        out.append(
            DeprecatedRequest(
                group=labels.get("group", ""),
                version=labels.get("version", ""),
                resource=labels.get("resource", ""),
                subresource=labels.get("subresource", ""),
                removed_release=labels.get("removed_release", ""),
            )
        )
    return out
