"""Daily: deployments with unavailable replicas, and deployments rolled out in the last 24 h
(`kubectl get deployments --all-namespaces -o wide`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from opsbook.checks.k8s.common import object_resource
from opsbook.collect.k8s.models import K8sDeployment
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity, TargetKind

SECTION = "Daily Operations / Morning Health Checks"
PERMS = ("list deployments.apps", "list replicasets.apps")


def _res(d: K8sDeployment) -> Resource:
    return object_resource("Deployment", d.namespace, d.name)


@check(
    id="k8s.deployment_unavailable",
    title="Deployments with unavailable replicas",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.deployments",),
    permissions=PERMS,
    remediation="kubectl get deployments --all-namespaces -o wide; kubectl rollout status deployment/<name> "
    "-n <namespace>; kubectl describe deployment <name> -n <namespace>",
)
def deployment_unavailable(ctx: CheckContext) -> Iterable[Finding]:
    deployments: list[K8sDeployment] = ctx["k8s.deployments"]
    for d in deployments:
        info = {
            "desired": d.replicas,
            "ready": d.ready,
            "available": d.available,
            "unavailable": d.unavailable,
        }
        if d.degraded:
            available = d.condition("Available")
            why = (
                f": {available.message}"
                if available and available.status != "True" and available.message
                else ""
            )
            yield ctx.failed(f"deployment {d.key}: {d.available}/{d.replicas} replicas available{why}", _res(d),
                             None, **info)  # fmt: skip
        else:
            yield ctx.passed(
                f"deployment {d.key}: {d.available}/{d.replicas} replicas available", _res(d), **info
            )


class ChangeSettings(BaseModel):
    window_hours: float = Field(24, gt=0, description="a rollout within this many hours is reported")


@check(
    id="k8s.deployment_changed",
    title="Deployments rolled out in the last 24 hours (review)",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.INFO,
    target_kind=TargetKind.K8S,
    needs=("k8s.deployments",),
    permissions=PERMS,
    remediation="kubectl get deployments --all-namespaces -o wide; kubectl rollout history deployment/<name> "
    "-n <namespace> (undo with kubectl rollout undo if it misbehaves)",
    settings=ChangeSettings,
)
def deployment_changed(ctx: CheckContext) -> Iterable[Finding]:
    """A recent rollout is not wrong, but the guide wants it reviewed: it is reported as FAIL at INFO
    severity ("changed"), so it shows in the morning list without failing the run."""
    s: ChangeSettings = ctx.settings
    deployments: list[K8sDeployment] = ctx["k8s.deployments"]
    for d in deployments:
        info = {"revision": d.revision, "images": list(d.images),
                "rolled_out_at": d.rolled_out_at.isoformat() if d.rolled_out_at else None}  # fmt: skip
        if d.rolled_out_at and ctx.now - d.rolled_out_at <= timedelta(hours=s.window_hours):
            hours = (ctx.now - d.rolled_out_at).total_seconds() / 3600
            yield ctx.failed(f"deployment {d.key} changed {hours:.1f} h ago (revision {d.revision}, "
                             f"{', '.join(d.images)})", _res(d), None, changed=True, **info)  # fmt: skip
        else:
            yield ctx.passed(
                f"deployment {d.key} unchanged for {s.window_hours:g} h", _res(d), changed=False, **info
            )
