"""Planner of `autoscale` (guide: Scaling Procedures / "Configure HPA": `kubectl autoscale deployment my-app
--min=3 --max=20 --cpu-percent=70`, verified with `kubectl get hpa my-app --watch`). Read-only.

It creates an autoscaling/v2 HPA for the deployment (named after it, as kubectl does), or changes the one
that targets it (current -> proposed in the plan). It refuses what could never work: --min above --max, a
deployment that does not exist, two HPAs on one deployment (the controller acts on neither), an HPA of that
name that targets something else, and containers without a CPU request (the HPA could never compute a
utilisation: the guide's own `payments` HPA shows it, ScalingActive=False "missing request for cpu").
Apply: re-check, create or patch, wait until the HPA controller reads its metrics and the deployment has
the count it wants (`hpa-active`), then gate on the HPA and workload checks; `--rollback` deletes the HPA
it created or puts the old spec back.
"""

from __future__ import annotations

import math

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.models import Resource
from opsbook.engine.workload import Workload, read_workload, step, workload_plan
from opsbook.procedures.k8s_hpa import cpu_target, spec_of, with_cpu
from opsbook.procedures.plan import Plan, Wait
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

GATE = ("k8s.hpa_metrics_unavailable", "k8s.deployment_unavailable", "k8s.pod_not_running")


class AutoscaleParams(ProcedureParams):
    deployment: str = Field(
        description="The deployment to autoscale (as namespace/name, or name in --namespace)."
    )
    min: int = Field(ge=1, le=1000, description="The fewest replicas the HPA keeps (minReplicas).")
    max: int = Field(ge=1, le=1000, description="The most replicas the HPA may run (maxReplicas).")
    cpu_percent: int = Field(
        ge=1, le=1000, description="Target CPU use, as a percentage of the pods' requests."
    )
    namespace: str = Field("default", description="The deployment's namespace.")
    timeout: int = Field(300, ge=10, le=86400, description="Seconds to wait for the HPA to take effect.")


def _no_cpu_request(w: Workload) -> str | None:
    for c in w.containers():
        if ((c.get("resources") or {}).get("requests") or {}).get("cpu") is None:
            return str(c.get("name") or "?")
    return None


def _load_note(hpa: dict[str, object] | None, params: AutoscaleParams) -> str:
    """What the HPA would do at today's load, from what an existing HPA reads (empty when unknown)."""
    status = (hpa or {}).get("status") or {}
    assert isinstance(status, dict)
    for m in status.get("currentMetrics") or []:
        used = ((m.get("resource") or {}).get("current") or {}).get("averageUtilization")
        if (
            m.get("type") == "Resource"
            and (m.get("resource") or {}).get("name") == "cpu"
            and used is not None
        ):
            pods = int(status.get("currentReplicas") or 0)
            want = min(max(math.ceil(pods * used / params.cpu_percent), params.min), params.max)
            return f"; at today's CPU ({used}% over {pods} pods) it would run about {want}"
    return ""


@procedure(
    "autoscale",
    title="Create or change a deployment's HPA (CPU target), wait until it scales on its metrics, gate",
    section="Scaling Procedures / Horizontal Scaling",
    kinds=("k8s-hpa-autoscale",),
    params=AutoscaleParams,
    examples=(
        "opsbook plan autoscale --cluster my-cluster --deployment production/my-app --min 3 --max 20 "
        "--cpu-percent 70 -o autoscale.json",
    ),
    targets=("cluster",),  # the deployment's one cluster
)
def plan_autoscale(cfg: Config, params: AutoscaleParams, request: PlanRequest) -> Plan:
    if params.min > params.max:
        raise InputError(f"opsbook plan autoscale: --min {params.min} is above --max {params.max}")
    w = read_workload(cfg, request, "autoscale", params.deployment, params.namespace)
    _refuse(w)
    hpa = w.hpas[0] if w.hpas else None
    name = hpa["metadata"]["name"] if hpa else w.name
    before = spec_of(hpa) if hpa else None
    after = {"min": params.min, "max": params.max,
             "metrics": with_cpu((before or {}).get("metrics") or [], params.cpu_percent)}  # fmt: skip
    proposed = f"{params.min}-{params.max} replicas, CPU {params.cpu_percent}%"
    if before == after:
        warning = f"HPA {w.namespace}/{name} already has {proposed}: nothing to change"
        return workload_plan("autoscale", w, [], params, request, [warning])
    if before is None:
        reason = (f"kubectl autoscale deployment {w.name} -n {w.namespace} --min={params.min} --max={params.max} "
                  f"--cpu-percent={params.cpu_percent} (no HPA yet; {w.replicas} replicas now)")  # fmt: skip
    else:
        cpu = cpu_target(hpa or {})
        was = f"{before['min']}-{before['max']} replicas, CPU {f'{cpu}%' if cpu else 'none'}"
        reason = f"HPA {name}: {was} -> {proposed}"
    where = {"namespace": w.namespace, "name": name, "deployment": w.name}
    item = step(
        1, "k8s-hpa-autoscale", "create-hpa" if before is None else "update-hpa",
        Resource(id=f"{w.namespace}/{name}", type="HorizontalPodAutoscaler", name=name),
        reason + _load_note(hpa, params), account=w.account, cluster=w.cluster,
        params=where | {"min": params.min, "max": params.max, "cpu_percent": params.cpu_percent, "from": before},
        evidence={"hpa": before, "replicas": w.replicas},
        wait=Wait(condition="hpa-active", params=where, timeout_s=params.timeout, interval_s=2),
        gate=list(GATE),
    )  # fmt: skip
    return workload_plan("autoscale", w, [item], params, request, [])


def _refuse(w: Workload) -> None:
    """InputError for what an HPA on `w` could never do."""
    where = f"opsbook plan autoscale: deployment {w.namespace}/{w.name}"
    if len(w.hpas) > 1:
        names = ", ".join(h["metadata"]["name"] for h in w.hpas)
        raise InputError(
            f"{where} has {len(w.hpas)} HPAs ({names}); the HPA controller acts on neither: delete one"
        )
    if not w.hpas and w.name in w.hpa_names:
        raise InputError(f"{where}: an HPA named {w.name} exists and targets something else")
    container = _no_cpu_request(w)
    if container is not None:
        raise InputError(
            f"{where}: container {container} has no CPU request, so an HPA could never compute its CPU "
            f"utilisation (it would report 'missing request for cpu'); set one first, e.g. kubectl set resources "
            f"deployment {w.name} -n {w.namespace} --requests=cpu=250m"
        )
