"""Nodes and pods (all namespaces): one listing each per cluster per run."""

from __future__ import annotations

from opsbook.collect.k8s import convert
from opsbook.collect.k8s.models import K8sNode, K8sPod
from opsbook.core.collectors import CollectContext, collector
from opsbook.core.models import TargetKind


@collector("k8s.nodes", permissions=("list nodes",), target_kind=TargetKind.K8S)
def nodes(ctx: CollectContext) -> list[K8sNode]:
    return [convert.node(o) for o in ctx.client("api").list_items("/api/v1/nodes")]


@collector("k8s.pods", permissions=("list pods",), target_kind=TargetKind.K8S)
def pods(ctx: CollectContext) -> list[K8sPod]:
    return [convert.pod(o) for o in ctx.client("api").list_items("/api/v1/pods")]
