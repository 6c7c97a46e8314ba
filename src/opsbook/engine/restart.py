"""Planner of `restart-deployment` (guide: Incident Response / Emergency Procedures, "Application not
responding ... Restart if needed": `kubectl rollout restart deployment/myapp`): one gated step that restarts
every pod of the deployment and waits for the rollout. Read-only; refuses a deployment that is not there or
whose rollout is still in progress (a restart would hide why)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.models import Resource
from opsbook.engine.rollout import GATE, rollout_state
from opsbook.engine.workload import read_workload, step, workload_plan
from opsbook.procedures.k8s_restart import restarted_at
from opsbook.procedures.plan import Plan, Wait
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

NAME = "restart-deployment"


class RestartParams(ProcedureParams):
    deployment: str = Field(
        description="The deployment: NAMESPACE/NAME, or NAME in --namespace.",
        json_schema_extra={"argument": True},
    )
    namespace: str = Field("default", description="The deployment's namespace.")
    rollout_timeout: int = Field(600, ge=5, le=86400, description="Seconds to wait for the rollout.")


@procedure(
    NAME,
    title="Restart a deployment's pods (kubectl rollout restart), wait for the rollout, gate",
    section="Incident Response / Emergency Procedures",
    kinds=("k8s-restart",),
    params=RestartParams,
    examples=("opsbook plan restart-deployment production/my-app --cluster my-cluster -o plan.json",),
    targets=("cluster",),  # the deployment's one cluster
)
def plan_restart(cfg: Config, params: RestartParams, request: PlanRequest) -> Plan:
    w = read_workload(cfg, request, NAME, params.deployment, params.namespace, "DEPLOYMENT")
    where = f"{w.namespace}/{w.name}"
    if why := rollout_state(w.deployment):
        raise InputError(f"opsbook plan {NAME}: deployment {where} {why}")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    item = step(
        1,
        "k8s-restart",
        "rollout-restart",
        Resource(id=where, type="Deployment", name=w.name),
        f"kubectl rollout restart deployment/{w.name} -n {w.namespace} ({w.replicas} replicas replaced)",
        account=w.account,
        cluster=w.cluster,
        params={
            "namespace": w.namespace,
            "name": w.name,
            "stamp": stamp,
            "from_stamp": restarted_at(w.deployment),
        },  # fmt: skip
        evidence={"replicas": w.replicas},
        wait=Wait(
            condition="deployment-rolled-out",
            params={"namespace": w.namespace, "name": w.name},
            timeout_s=params.rollout_timeout,
            interval_s=1,
        ),  # fmt: skip
        gate=list(GATE),
    )
    return workload_plan(NAME, w, [item], params, request, [])
