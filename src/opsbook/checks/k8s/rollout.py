"""Daily: deployment rollouts (`kubectl rollout status deployment/<name>`): a stuck rollout fails, one in
progress is reported, a complete one passes.

Stuck: the Progressing condition is False with reason ProgressDeadlineExceeded (the controller waited
`spec.progressDeadlineSeconds` for the new ReplicaSet and gave up). In progress: `status.observedGeneration`
is behind `metadata.generation` (the controller has not acted on the newest spec yet) or fewer replicas run
the newest template than are wanted (`updatedReplicas < replicas`); reported as FAIL at INFO severity, like
`k8s.deployment_changed`, so it shows in the morning list without failing the run.
"""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.k8s.common import object_resource
from opsbook.collect.k8s.models import K8sDeployment
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity, TargetKind


@check(
    id="k8s.deployment_rollout_stuck",
    title="Deployment rollouts stuck (ProgressDeadlineExceeded) or still in progress",
    section="Daily Operations / Morning Health Checks",
    cadence=("daily",),
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.deployments",),
    permissions=("list deployments.apps", "list replicasets.apps"),
    remediation="kubectl rollout status deployment/<name> -n <namespace>; kubectl describe deployment <name> "
    "-n <namespace> (fix the new pods, or: kubectl rollout undo deployment/<name> -n <namespace>)",
)
def deployment_rollout_stuck(ctx: CheckContext) -> Iterable[Finding]:
    deployments: list[K8sDeployment] = ctx["k8s.deployments"]
    for d in deployments:
        res = object_resource("Deployment", d.namespace, d.name)
        info = {"rollout": d.rollout, "generation": d.generation, "observed_generation": d.observed_generation,
                "updated": d.updated, "desired": d.replicas, "revision": d.revision}  # fmt: skip
        progress = f"{d.updated}/{d.replicas} replicas updated"
        if d.rollout_stuck:
            cond = d.condition("Progressing")
            why = f": {cond.message}" if cond and cond.message else ""
            yield ctx.failed(f"deployment {d.key}: rollout stuck (ProgressDeadlineExceeded, {progress}){why}",
                             res, None, **info)  # fmt: skip
        elif d.rollout_in_progress:
            seen = (
                f", generation {d.generation} not yet observed (at {d.observed_generation})"
                if d.generation and d.observed_generation is not None and d.observed_generation < d.generation
                else ""
            )
            yield ctx.failed(f"deployment {d.key}: rollout in progress ({progress}{seen})", res, Severity.INFO,
                             **info)  # fmt: skip
        else:
            yield ctx.passed(f"deployment {d.key}: rollout complete ({progress})", res, **info)
