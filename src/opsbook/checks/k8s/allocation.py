"""Daily: requested and limited resources against allocatable per node (`kubectl describe nodes | grep -A 5
"Allocated resources"`), and pods without requests or limits (the guide's `kubectl get pods -o json | jq`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from opsbook.checks.k8s.common import mib, namespace_passes, node_resource, percent, pod_resource
from opsbook.collect.k8s.models import K8sContainer, K8sNode, K8sPod
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity, TargetKind

SECTION = "Daily Operations / Performance Checks"


class OvercommitSettings(BaseModel):
    max_request_percent: float = Field(90, gt=0, description="requests above this % of allocatable fail")
    max_limit_percent: float = Field(
        100, gt=0, description="limits above this % of allocatable fail (over-commit)"
    )


def _sum(pods: list[K8sPod], field: str) -> int:
    return sum(getattr(c, field) or 0 for p in pods for c in p.containers)


@check(
    id="k8s.node_overcommitted",
    title="Node requests or limits over allocatable (over-commit)",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.MEDIUM,
    target_kind=TargetKind.K8S,
    needs=("k8s.nodes", "k8s.pods"),
    permissions=("list nodes", "list pods"),
    remediation='kubectl describe nodes | grep -A 5 "Allocated resources"; right-size requests/limits '
    "or add nodes",
    settings=OvercommitSettings,
)
def node_overcommitted(ctx: CheckContext) -> Iterable[Finding]:
    s: OvercommitSettings = ctx.settings
    nodes: list[K8sNode] = ctx["k8s.nodes"]
    pods: list[K8sPod] = ctx["k8s.pods"]
    for n in nodes:
        mine = [p for p in pods if p.node == n.name and not p.terminated]
        numbers = {
            "cpu_requests": percent(_sum(mine, "requests_cpu_m"), n.allocatable_cpu_m),
            "cpu_limits": percent(_sum(mine, "limits_cpu_m"), n.allocatable_cpu_m),
            "memory_requests": percent(_sum(mine, "requests_memory"), n.allocatable_memory),
            "memory_limits": percent(_sum(mine, "limits_memory"), n.allocatable_memory),
        }
        info = {**{f"{k}_percent": v for k, v in numbers.items()}, "pods": len(mine),
                "cpu_requests_m": _sum(mine, "requests_cpu_m"), "cpu_limits_m": _sum(mine, "limits_cpu_m"),
                "memory_requests_mib": mib(_sum(mine, "requests_memory")),
                "memory_limits_mib": mib(_sum(mine, "limits_memory"))}  # fmt: skip
        over = [
            f"{k.replace('_', ' ')} {v:g}%"
            for k, v in numbers.items()
            if v is not None and v > (s.max_limit_percent if k.endswith("limits") else s.max_request_percent)
        ]
        text = ", ".join(f"{k.replace('_', ' ')} {v:g}%" for k, v in numbers.items() if v is not None)
        if over:
            yield ctx.failed(f"node {n.name} is over-committed: {', '.join(over)} of allocatable", node_resource(n.name),
                             None, **info)  # fmt: skip
        else:
            yield ctx.passed(f"node {n.name}: {text} of allocatable", node_resource(n.name), **info)


ResourceField = Literal["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]
ALL_FIELDS: tuple[ResourceField, ...] = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")
_ATTR = {"requests.cpu": "requests_cpu_m", "requests.memory": "requests_memory",
         "limits.cpu": "limits_cpu_m", "limits.memory": "limits_memory"}  # fmt: skip


class ResourcesSettings(BaseModel):
    require: list[ResourceField] = Field(
        default_factory=lambda: list(ALL_FIELDS),
        description="what every container must set (drop limits.cpu if you deliberately run without CPU limits)",
    )
    exclude_namespaces: list[str] = Field(default_factory=list, description="namespaces not checked")


def _missing(c: K8sContainer, required: list[ResourceField]) -> list[str]:
    return [r for r in required if getattr(c, _ATTR[r]) is None]


@check(
    id="k8s.pod_missing_resources",
    title="Pods without resource requests or limits",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.MEDIUM,
    target_kind=TargetKind.K8S,
    needs=("k8s.pods",),
    permissions=("list pods",),
    remediation="kubectl get pods --all-namespaces -o json | jq '.items[] | {name: .metadata.name, namespace: "
    ".metadata.namespace, resources: .spec.containers[].resources}'; set requests and limits in the workload",
    settings=ResourcesSettings,
)
def pod_missing_resources(ctx: CheckContext) -> Iterable[Finding]:
    s: ResourcesSettings = ctx.settings
    pods: list[K8sPod] = ctx["k8s.pods"]
    good = []
    for p in pods:
        if p.namespace in s.exclude_namespaces or p.terminated:
            continue
        missing = {c.name: m for c in p.containers if (m := _missing(c, s.require))}
        if not missing:
            good.append(p)
            continue
        text = "; ".join(f"{name}: no {', '.join(m)}" for name, m in missing.items())
        yield ctx.failed(
            f"pod {p.key} ({p.owner or 'no owner'}): {text}", pod_resource(p), None, missing=missing
        )
    yield from namespace_passes(ctx, good, "with requests and limits")
