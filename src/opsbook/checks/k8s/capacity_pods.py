"""Mid-month: pods per node against the node's pod capacity (`status.allocatable.pods`, the kubelet's
max pods; on EKS the VPC CNI's IP limit per instance type)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.checks.k8s.common import node_resource, percent
from opsbook.collect.k8s.models import K8sNode, K8sPod
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity, TargetKind


class Settings(BaseModel):
    max_percent: float = Field(
        80, gt=0, le=100, description="fail when a node's pods reach this % of its allocatable pods"
    )


@check(
    id="k8s.pods_per_node",
    title="Pods per node against the node's pod capacity",
    section="Monthly Tasks / Mid-Month: Capacity Planning",
    cadence=("monthly:capacity",),
    severity=Severity.MEDIUM,
    target_kind=TargetKind.K8S,
    needs=("k8s.nodes", "k8s.pods"),
    permissions=("list nodes", "list pods"),
    remediation="kubectl get nodes -o custom-columns=NAME:.metadata.name,PODS:.status.allocatable.pods; "
    "kubectl get pods --all-namespaces -o wide --field-selector spec.nodeName=<node>; add nodes "
    "(aws eks update-nodegroup-config --scaling-config ...), larger instance types, or VPC CNI prefix delegation",
    settings=Settings,
)
def pods_per_node(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    nodes: list[K8sNode] = ctx["k8s.nodes"]
    pods: list[K8sPod] = ctx["k8s.pods"]
    scheduled = Counter(p.node for p in pods if p.node and not p.terminated)  # finished pods hold no slot
    for n in nodes:
        count, capacity = scheduled[n.name], n.allocatable_pods
        res = node_resource(n.name)
        info = {"pods": count, "allocatable_pods": capacity, "nodegroup": n.nodegroup,
                "instance_type": n.instance_type, "threshold_percent": s.max_percent}  # fmt: skip
        used = percent(count, capacity)
        if used is None:
            yield ctx.skipped(f"node {n.name}: {count} pod(s), allocatable pods unknown", res, **info)
            continue
        msg = f"node {n.name}: {count}/{capacity} pods ({used:g}% of allocatable)"
        if used >= s.max_percent:
            yield ctx.failed(f"{msg}, at or above {s.max_percent:g}%", res, None, percent=used, **info)
        else:
            yield ctx.passed(msg, res, percent=used, **info)
