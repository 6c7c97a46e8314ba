"""metrics.k8s.io (metrics-server): current node and pod usage, as `kubectl top` reads it."""

from __future__ import annotations

from opsbook.collect.k8s.convert import when
from opsbook.collect.k8s.models import NodeUsage, PodUsage
from opsbook.collect.k8s.quantity import bytes_of, millicores
from opsbook.core.collectors import CollectContext, collector
from opsbook.core.models import TargetKind

METRICS = "/apis/metrics.k8s.io/v1beta1"


@collector("k8s.node_metrics", permissions=("list nodes.metrics.k8s.io",), target_kind=TargetKind.K8S)
def node_metrics(ctx: CollectContext) -> list[NodeUsage]:
    out = []
    for o in ctx.client("api").list_items(f"{METRICS}/nodes"):
        usage = o.get("usage") or {}
        out.append(
            NodeUsage(
                name=(o.get("metadata") or {}).get("name", ""),
                cpu_m=millicores(usage.get("cpu")) or 0,
                memory=bytes_of(usage.get("memory")) or 0,
                timestamp=when(o.get("timestamp")),
            )
        )
    return out


@collector("k8s.pod_metrics", permissions=("list pods.metrics.k8s.io",), target_kind=TargetKind.K8S)
def pod_metrics(ctx: CollectContext) -> list[PodUsage]:
    out = []
    for o in ctx.client("api").list_items(f"{METRICS}/pods"):
        meta = o.get("metadata") or {}
        containers = o.get("containers") or []
        out.append(
            PodUsage(
                namespace=meta.get("namespace", ""),
                name=meta.get("name", ""),
                cpu_m=sum(millicores((c.get("usage") or {}).get("cpu")) or 0 for c in containers),
                memory=sum(bytes_of((c.get("usage") or {}).get("memory")) or 0 for c in containers),
            )
        )
    return out
