"""Planners of the guide's scaling procedures (Scaling Procedures). Read-only: they look at the cluster and
write the steps; `opsbook apply` performs them.

`scale-deployment` (guide: "Scale deployment"): an HPA that targets the deployment sets its replica count
and would undo a manual scale, so the plan warns, names the HPA and the `opsbook plan autoscale ...` that
would change the autoscaling instead, and by default (`--hpa widen`) first widens the HPA's bounds so it
keeps the new count (undo restores them); `--hpa leave` scales only (the HPA will scale it back within its
bounds). Then scale, wait for the rollout, and gate on the deployment and pod checks: a deployment or pod
that was healthy before and is not now stops the plan, and `opsbook apply plan.json --rollback` puts
replicas and HPA bounds back.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.models import Resource
from opsbook.engine.workload import Workload, read_workload, step, workload_plan
from opsbook.procedures.k8s_hpa import cpu_target
from opsbook.procedures.plan import Plan, PlanItem, Wait
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

GATE = ("k8s.deployment_unavailable", "k8s.pod_not_running")


class ScaleDeploymentParams(ProcedureParams):
    deployment: str = Field(
        description="The deployment to scale (as namespace/name, or name in --namespace)."
    )
    replicas: int = Field(ge=0, le=1000, description="The replica count to scale to.")
    namespace: str = Field("default", description="The deployment's namespace.")
    rollout_timeout: int = Field(600, ge=10, le=86400, description="Seconds to wait for the rollout.")
    hpa: Literal["widen", "leave"] = Field(
        "widen",
        description="When an HPA owns the deployment: widen its bounds so it keeps the new count (undone by "
        "--rollback), or leave it (scale only; the HPA will scale back within its bounds).",
    )


def _hpa_warning(
    w: Workload, hpa: dict[str, Any], params: ScaleDeploymentParams, bounds: tuple[int, int]
) -> str:
    spec = hpa.get("spec") or {}
    low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 1))
    hname, cpu = hpa["metadata"]["name"], cpu_target(hpa)
    doing = (
        f"this plan widens its bounds to {bounds[0]}-{bounds[1]} first (--rollback restores {low}-{high})"
        if params.hpa == "widen"
        else f"with --hpa leave this plan scales only, and the HPA will bring it back within {low}-{high}"
    )
    change = (
        f"opsbook plan autoscale --cluster {w.cluster} --deployment {w.namespace}/{w.name} --min {bounds[0]} "
        f"--max {bounds[1]} --cpu-percent {cpu or 80} -o autoscale.json"
    )
    return (
        f"HPA {w.namespace}/{hname} owns deployment {w.name} ({low}-{high} replicas"
        f"{f', CPU target {cpu}%' if cpu else ''}) and undoes a manual scale: {doing}. "
        f"To change the autoscaling instead: {change}"
    )


@procedure(
    "scale-deployment",
    title="Scale a deployment (widening its HPA first), wait for the rollout, gate on the workload checks",
    section="Scaling Procedures / Horizontal Scaling",
    kinds=("k8s-hpa-bounds", "k8s-deployment-scale"),
    params=ScaleDeploymentParams,
    examples=(
        "opsbook plan scale-deployment --cluster my-cluster --deployment production/my-app --replicas 6 -o plan.json",
        "opsbook plan scale-deployment --cluster my-cluster --deployment production/my-app --replicas 6 --hpa leave",
    ),
    targets=("cluster",),  # the deployment's one cluster
)
def plan_scale_deployment(cfg: Config, params: ScaleDeploymentParams, request: PlanRequest) -> Plan:
    w = read_workload(cfg, request, "scale-deployment", params.deployment, params.namespace)
    ns, name, now = w.namespace, w.name, w.replicas
    items: list[PlanItem] = []
    warnings = []
    for hpa in w.hpas:
        spec = hpa.get("spec") or {}
        low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 1))
        want_low, want_high = params.replicas, max(high, params.replicas)  # the HPA keeps the new count
        warnings.append(_hpa_warning(w, hpa, params, (max(want_low, 1), want_high)))
        if params.hpa == "leave" or (want_low, want_high) == (low, high):
            continue
        if params.replicas < 1:
            raise InputError(
                f"opsbook plan scale-deployment: HPA {hpa['metadata']['name']} manages {name} and its minimum "
                "cannot be 0: delete the HPA first, scale to 1 or more, or scale only with --hpa leave"
            )
        hname = hpa["metadata"]["name"]
        items.append(
            step(
                len(items) + 1,
                "k8s-hpa-bounds",
                "set-hpa-bounds",
                Resource(id=f"{ns}/{hname}", type="HorizontalPodAutoscaler", name=hname),
                f"HPA {hname} allows {low}-{high}; {want_low}-{want_high} keeps {params.replicas} replicas",
                account=w.account,
                cluster=w.cluster,
                params={"namespace": ns, "name": hname, "min": want_low, "max": want_high},
                evidence={"min": low, "max": high},
            )
        )
    owned = f" (HPA {', '.join(h['metadata']['name'] for h in w.hpas)} may scale it back)" if (
        w.hpas and params.hpa == "leave") else ""  # fmt: skip
    items.append(
        step(
            len(items) + 1,
            "k8s-deployment-scale",
            "scale-deployment",
            Resource(id=f"{ns}/{name}", type="Deployment", name=name),
            f"kubectl scale deployment {name} -n {ns} --replicas={params.replicas} (now {now}){owned}",
            account=w.account,
            cluster=w.cluster,
            params={"namespace": ns, "name": name, "replicas": params.replicas, "from": now},
            evidence={"replicas": now},
            depends_on=[i.id for i in items],
            wait=Wait(
                condition="deployment-rolled-out",
                params={"namespace": ns, "name": name},
                timeout_s=params.rollout_timeout,
                interval_s=2,
            ),  # fmt: skip
            gate=list(GATE),
        )
    )
    return workload_plan("scale-deployment", w, items, params, request, warnings)
