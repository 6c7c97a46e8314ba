"""Daily: node CPU/memory use against allocatable, from metrics.k8s.io (`kubectl top nodes`), with the
node's top pods by memory (`kubectl top pods --all-namespaces --sort-by=memory`)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.checks.k8s.common import mib, node_resource
from opsbook.collect.k8s.models import K8sPod, PodUsage, node_loads
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity, TargetKind


class Settings(BaseModel):
    cpu_percent: float = Field(85, gt=0, description="CPU use above this % of allocatable fails")
    memory_percent: float = Field(90, gt=0, description="memory use above this % of allocatable fails")
    top: int = Field(5, ge=1, le=50, description="how many pods by memory to list per node")


def top_pods(node: str, pods: list[K8sPod], usage: list[PodUsage], n: int) -> list[dict[str, object]]:
    on_node = {p.key for p in pods if p.node == node}
    mine = sorted((u for u in usage if u.key in on_node), key=lambda u: (-u.memory, u.key))[:n]
    return [{"pod": u.key, "memory_mib": mib(u.memory), "cpu_m": u.cpu_m} for u in mine]


@check(
    id="k8s.node_usage_high",
    title="Node CPU or memory use near allocatable",
    section="Daily Operations / Monitoring Checks",
    cadence=("daily",),
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.nodes", "k8s.node_metrics", "k8s.pods", "k8s.pod_metrics"),
    permissions=("list nodes", "list nodes.metrics.k8s.io", "list pods", "list pods.metrics.k8s.io"),
    remediation="kubectl top nodes; kubectl top pods --all-namespaces --sort-by=memory "
    "(or opsbook k8s top nodes|pods); scale the node group or move the heaviest pods",
    settings=Settings,
)
def node_usage_high(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    pods: list[K8sPod] = ctx["k8s.pods"]
    pod_usage: list[PodUsage] = ctx["k8s.pod_metrics"]
    for load in node_loads(ctx["k8s.nodes"], ctx["k8s.node_metrics"]):
        n, u = load.node, load.usage
        res = node_resource(n.name)
        if u is None:
            yield ctx.skipped(f"node {n.name}: no metrics (Ready={n.ready})", res)
            continue
        cpu, mem = load.cpu_percent, load.memory_percent
        info = {"cpu_m": u.cpu_m, "cpu_percent": cpu, "memory_mib": mib(u.memory), "memory_percent": mem,
                "allocatable_cpu_m": n.allocatable_cpu_m, "allocatable_memory_mib": mib(n.allocatable_memory),
                "top_pods_by_memory": top_pods(n.name, pods, pod_usage, s.top)}  # fmt: skip
        over = []
        if cpu is not None and cpu > s.cpu_percent:
            over.append(f"CPU {cpu:g}% > {s.cpu_percent:g}%")
        if mem is not None and mem > s.memory_percent:
            over.append(f"memory {mem:g}% > {s.memory_percent:g}%")
        if over:
            yield ctx.failed(f"node {n.name}: {', '.join(over)} of allocatable", res, None, **info)
        else:
            yield ctx.passed(f"node {n.name}: CPU {cpu}%, memory {mem}% of allocatable", res, **info)
