"""Daily: nodes not Ready, under pressure, or cordoned (`kubectl get nodes`)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.k8s.common import node_resource
from opsbook.collect.k8s.models import K8sNode
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity, TargetKind

SECTION = "Daily Operations / Morning Health Checks"


@check(
    id="k8s.node_not_ready",
    title="Kubernetes nodes not Ready",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.CRITICAL,
    target_kind=TargetKind.K8S,
    needs=("k8s.nodes",),
    permissions=("list nodes",),
    remediation="kubectl get nodes; kubectl describe node <node> (check the kubelet, or replace the instance)",
)
def node_not_ready(ctx: CheckContext) -> Iterable[Finding]:
    nodes: list[K8sNode] = ctx["k8s.nodes"]
    for n in nodes:
        ready = n.condition("Ready")
        info = {"ready": n.ready, "nodegroup": n.nodegroup, "kubelet_version": n.kubelet_version}
        if n.ready == "True":
            yield ctx.passed(f"node {n.name} is Ready", node_resource(n.name), **info)
        else:
            since = ready.since.isoformat() if ready and ready.since else None
            why = f": {ready.reason} ({ready.message})" if ready and ready.reason else ""
            yield ctx.failed(f"node {n.name} is not Ready (Ready={n.ready}){why}", node_resource(n.name),
                             None, since=since, **info)  # fmt: skip


@check(
    id="k8s.node_pressure",
    title="Kubernetes nodes under memory, disk or PID pressure",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.nodes",),
    permissions=("list nodes",),
    remediation="kubectl describe node <node>; kubectl top pods --all-namespaces --sort-by=memory "
    "(move or limit the heaviest pods, or add nodes)",
)
def node_pressure(ctx: CheckContext) -> Iterable[Finding]:
    nodes: list[K8sNode] = ctx["k8s.nodes"]
    for n in nodes:
        if n.pressures:
            names = ", ".join(c.type for c in n.pressures)
            yield ctx.failed(f"node {n.name} reports {names}", node_resource(n.name), None,
                             conditions=[{"type": c.type, "reason": c.reason, "message": c.message}
                                         for c in n.pressures])  # fmt: skip
        else:
            yield ctx.passed(f"node {n.name} has no pressure conditions", node_resource(n.name))


@check(
    id="k8s.node_unschedulable",
    title="Kubernetes nodes cordoned (SchedulingDisabled)",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.MEDIUM,
    target_kind=TargetKind.K8S,
    needs=("k8s.nodes",),
    permissions=("list nodes",),
    remediation="kubectl get nodes; kubectl uncordon <node> once its maintenance is done (or drain and remove it)",
)
def node_unschedulable(ctx: CheckContext) -> Iterable[Finding]:
    nodes: list[K8sNode] = ctx["k8s.nodes"]
    for n in nodes:
        if n.unschedulable:
            yield ctx.failed(f"node {n.name} is cordoned (SchedulingDisabled)", node_resource(n.name), None,
                             taints=list(n.taints))  # fmt: skip
        else:
            yield ctx.passed(f"node {n.name} accepts pods", node_resource(n.name))
