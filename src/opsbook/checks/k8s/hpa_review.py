"""Wednesday: the week's HPA review (`kubectl get hpa --all-namespaces`): desired replicas at the maximum,
or current replicas that have not caught up with desired."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.checks.k8s.common import object_resource
from opsbook.checks.k8s.hpa import PERMS, at_max, hpa_info
from opsbook.collect.k8s.models import K8sHpa
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity, TargetKind


class Settings(BaseModel):
    max_replica_gap: int = Field(
        0, ge=0, description="current may differ from desired by this many replicas before it fails"
    )
    exclude_namespaces: list[str] = Field(default_factory=list, description="namespaces not reviewed")


@check(
    id="k8s.hpa_weekly_review",
    title="HPAs whose desired replicas sit at max or whose current differs from desired",
    section="Weekly Tasks / Wednesday: Performance Review",
    cadence=("weekly:wednesday",),
    severity=Severity.MEDIUM,
    target_kind=TargetKind.K8S,
    needs=("k8s.hpas",),
    permissions=PERMS,
    remediation="kubectl get hpa --all-namespaces; kubectl describe hpa <name> -n <namespace> "
    '(raise maxReplicas: kubectl patch hpa <name> -n <namespace> -p \'{"spec":{"maxReplicas":N}}\', '
    "or find why pods do not start: kubectl get pods -n <namespace>)",
    settings=Settings,
)
def hpa_weekly_review(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    hpas: list[K8sHpa] = ctx["k8s.hpas"]
    for h in hpas:
        if h.namespace in s.exclude_namespaces:
            continue
        res = object_resource("HorizontalPodAutoscaler", h.namespace, h.name)
        problems = []
        if reason := at_max(h, h.desired):
            problems.append(f"desired replicas {reason}")
        if abs(h.current - h.desired) > s.max_replica_gap:
            problems.append(f"current {h.current} != desired {h.desired}")
        if problems:
            yield ctx.failed(f"HPA {h.key}: {'; '.join(problems)}", res, None, **hpa_info(h))
        else:
            yield ctx.passed(
                f"HPA {h.key}: {h.current} replica(s) as desired, within {h.min_replicas}..{h.max_replicas}",
                res,
                **hpa_info(h),
            )
