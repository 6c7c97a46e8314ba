"""Daily: HorizontalPodAutoscalers pinned at their maximum, or unable to read their metrics."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.k8s.common import object_resource
from opsbook.collect.k8s.models import K8sHpa
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity, TargetKind

SECTION = "Daily Operations / Monitoring Checks"
PERMS = ("list horizontalpodautoscalers.autoscaling",)


def hpa_info(h: K8sHpa) -> dict[str, object]:
    return {"target": h.target, "min": h.min_replicas, "max": h.max_replicas, "current": h.current,
            "desired": h.desired, "metrics": list(h.current_metrics)}  # fmt: skip


def at_max(h: K8sHpa, replicas: int) -> str | None:
    """Why `h` sits at its maximum with `replicas` (current for the daily check, desired for the weekly
    review), or None when it has headroom: replicas >= maxReplicas, or ScalingLimited=TooManyReplicas."""
    limited = h.condition("ScalingLimited")
    hit = limited is not None and limited.status == "True" and limited.reason == "TooManyReplicas"
    if replicas < h.max_replicas and not hit:
        return None
    why = f": {limited.message}" if limited and limited.status == "True" else ""
    return f"at its maximum ({replicas}/{h.max_replicas}){why}"


@check(
    id="k8s.hpa_at_max",
    title="HPAs at their maximum replicas",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.MEDIUM,
    target_kind=TargetKind.K8S,
    needs=("k8s.hpas",),
    permissions=PERMS,
    remediation="kubectl describe hpa <name> -n <namespace>; raise maxReplicas "
    '(kubectl patch hpa <name> -n <namespace> -p \'{"spec":{"maxReplicas":N}}\') or find the load',
)
def hpa_at_max(ctx: CheckContext) -> Iterable[Finding]:
    hpas: list[K8sHpa] = ctx["k8s.hpas"]
    for h in hpas:
        res = object_resource("HorizontalPodAutoscaler", h.namespace, h.name)
        if reason := at_max(h, h.current):
            yield ctx.failed(f"HPA {h.key} is {reason}", res, None, **hpa_info(h))
        else:
            yield ctx.passed(f"HPA {h.key} has headroom ({h.current} of {h.min_replicas}..{h.max_replicas})", res,
                             **hpa_info(h))  # fmt: skip


@check(
    id="k8s.hpa_metrics_unavailable",
    title="HPAs unable to read their metrics",
    section=SECTION,
    cadence=("daily",),
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.hpas",),
    permissions=PERMS,
    remediation="kubectl describe hpa <name> -n <namespace>; kubectl top pods -n <namespace> "
    "(check metrics-server and the pods' resource requests)",
)
def hpa_metrics_unavailable(ctx: CheckContext) -> Iterable[Finding]:
    hpas: list[K8sHpa] = ctx["k8s.hpas"]
    for h in hpas:
        res = object_resource("HorizontalPodAutoscaler", h.namespace, h.name)
        active = h.condition("ScalingActive")
        if (active is not None and active.status != "True") or (active is None and not h.current_metrics):
            why = f"{active.reason}: {active.message}" if active else "no current metrics"
            yield ctx.failed(f"HPA {h.key} cannot scale on its metrics ({why})", res, None, **hpa_info(h))
        else:
            yield ctx.passed(f"HPA {h.key} reads its metrics ({', '.join(h.current_metrics) or 'ok'})", res,
                             **hpa_info(h))  # fmt: skip
