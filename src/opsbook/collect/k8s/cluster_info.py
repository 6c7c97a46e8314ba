"""The API server's version (GET /version: the control plane's) and the PodDisruptionBudgets (policy/v1,
all namespaces), one read each per cluster per run."""

from __future__ import annotations

import json
from typing import Any

from opsbook.collect.k8s.upgrade_models import K8sPdb, ServerVersion
from opsbook.core.collectors import CollectContext, collector
from opsbook.core.models import TargetKind

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
PDBS = "/apis/policy/v1/poddisruptionbudgets"


@collector("k8s.version", permissions=("get /version",), target_kind=TargetKind.K8S)
def version(ctx: CollectContext) -> ServerVersion:
    doc = ctx.client("api").get_json("/version")
    return ServerVersion(
        git_version=str(doc.get("gitVersion", "")),
        major=str(doc.get("major", "")),
        minor=str(doc.get("minor", "")),
    )


@collector("k8s.pdbs", permissions=("list poddisruptionbudgets.policy",), target_kind=TargetKind.K8S)
def pdbs(ctx: CollectContext) -> list[K8sPdb]:
    return [pdb_model(obj) for obj in ctx.client("api").list_items(PDBS)]


def pdb_model(obj: dict[str, Any]) -> K8sPdb:
    """A PodDisruptionBudget as served (the pre-flight's inventory; procedures/k8s_drain.py reads it live)."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    return K8sPdb(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        selector=spec.get("selector"),
        min_available=spec.get("minAvailable"),
        max_unavailable=spec.get("maxUnavailable"),
        disruptions_allowed=status.get("disruptionsAllowed"),
        expected_pods=status.get("expectedPods"),
        current_healthy=status.get("currentHealthy"),
        desired_healthy=status.get("desiredHealthy"),
        applied_api_version=(last_applied(obj) or {}).get("apiVersion"),
    )


def last_applied(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The configuration `kubectl apply` last applied to `obj` (its annotation), None when absent or not
    a JSON object."""
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
