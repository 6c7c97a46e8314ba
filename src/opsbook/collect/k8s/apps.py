"""Deployments (with their ReplicaSets, to date the last rollout) and HPAs (autoscaling/v2)."""

from __future__ import annotations

from opsbook.collect.k8s import convert
from opsbook.collect.k8s.models import K8sDeployment, K8sHpa
from opsbook.core.collectors import CollectContext, collector
from opsbook.core.models import TargetKind


@collector(
    "k8s.deployments",
    permissions=("list deployments.apps", "list replicasets.apps"),
    target_kind=TargetKind.K8S,
)
def deployments(ctx: CollectContext) -> list[K8sDeployment]:
    api = ctx.client("api")
    replica_sets = api.list_items("/apis/apps/v1/replicasets")
    return [convert.deployment(o, replica_sets) for o in api.list_items("/apis/apps/v1/deployments")]


@collector("k8s.hpas", permissions=("list horizontalpodautoscalers.autoscaling",), target_kind=TargetKind.K8S)
def hpas(ctx: CollectContext) -> list[K8sHpa]:
    return [
        convert.hpa(o) for o in ctx.client("api").list_items("/apis/autoscaling/v2/horizontalpodautoscalers")
    ]
