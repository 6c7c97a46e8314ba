"""Daily: pods not Running or Succeeded (`kubectl get pods --all-namespaces | grep -v Running`) and
containers that keep restarting.

Restarts "in 24 h": Kubernetes keeps only a container's total `restartCount` and its last termination.
A container fails when its restartCount is above `max_restarts` and its last termination finished within
`window_hours` (or the time is unknown); restarts that all lie further back pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from opsbook.checks.k8s.common import namespace_passes, pod_resource
from opsbook.collect.k8s.models import K8sPod
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity, TargetKind

SECTION = "Daily Operations / Morning Health Checks"


@check(
    id="k8s.pod_not_running",
    title="Pods not Running or Succeeded",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.pods",),
    permissions=("list pods",),
    remediation="kubectl get pods --all-namespaces | grep -v Running; kubectl describe pod <pod> -n <namespace>; "
    "kubectl logs <pod> -n <namespace> --previous",
)
def pod_not_running(ctx: CheckContext) -> Iterable[Finding]:
    pods: list[K8sPod] = ctx["k8s.pods"]
    good = []
    for p in pods:
        if p.healthy:
            good.append(p)
            continue
        why = p.why
        status = p.status if p.status == p.phase else f"{p.phase}/{p.status}"
        yield ctx.failed(f"pod {p.key} is {status}" + (f": {why}" if why else ""), pod_resource(p), None,
                         phase=p.phase, status=p.status, node=p.node, owner=p.owner, restarts=p.restarts,
                         reason=why or None)  # fmt: skip
    yield from namespace_passes(ctx, good, "Running or Succeeded")


class RestartSettings(BaseModel):
    max_restarts: int = Field(5, ge=0, description="more restarts than this (with a recent one) fails")
    window_hours: float = Field(24, gt=0, description="a restart counts as recent within this many hours")


@check(
    id="k8s.container_restarts",
    title="Containers restarting repeatedly (recently)",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.MEDIUM,
    target_kind=TargetKind.K8S,
    needs=("k8s.pods",),
    permissions=("list pods",),
    remediation="kubectl describe pod <pod> -n <namespace>; kubectl logs <pod> -n <namespace> --previous "
    "(OOMKilled: raise the memory limit or fix the leak)",
    settings=RestartSettings,
)
def container_restarts(ctx: CheckContext) -> Iterable[Finding]:
    s: RestartSettings = ctx.settings
    window = timedelta(hours=s.window_hours)
    pods: list[K8sPod] = ctx["k8s.pods"]
    good = []
    for p in pods:
        bad = p.restarting(ctx.now, s.max_restarts, window)
        if not bad:
            good.append(p)
            continue
        oom = any(c.last_reason == "OOMKilled" for c in bad)
        text = ", ".join(c.restart_summary for c in bad)
        yield ctx.failed(
            f"pod {p.key}: {text}",
            pod_resource(p),
            Severity.HIGH if oom else None,
            containers=[
                {
                    "name": c.name,
                    "restarts": c.restart_count,
                    "last_reason": c.last_reason,
                    "last_exit_code": c.last_exit_code,
                    "last_finished_at": c.last_finished_at.isoformat() if c.last_finished_at else None,
                }
                for c in bad
            ],  # fmt: skip
        )
    yield from namespace_passes(ctx, good, f"with at most {s.max_restarts} recent restarts per container")
