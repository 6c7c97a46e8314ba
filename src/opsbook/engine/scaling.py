"""Planners of the guide's scaling procedures (Scaling Procedures). Read-only: they look at the cluster and
write the steps; `opsbook apply` performs them.

`scale-deployment` (guide: "Scale deployment" / HPA): when an HPA targets the deployment, first widen its
bounds so it keeps the new count (undo restores them); then scale, wait for the rollout, and gate on the
deployment and pod checks: a deployment or pod that was healthy before and is not now stops the plan, and
`opsbook apply plan.json --rollback` puts replicas and HPA bounds back.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound, OpsbookError
from opsbook.core.models import Resource
from opsbook.engine.failures import as_target_error
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")  # a namespace
DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")  # a deployment
GATE = ("k8s.deployment_unavailable", "k8s.pod_not_running")


class ScaleDeploymentParams(ProcedureParams):
    deployment: str = Field(
        description="The deployment to scale (as namespace/name, or name in --namespace)."
    )
    replicas: int = Field(ge=0, le=1000, description="The replica count to scale to.")
    namespace: str = Field("default", description="The deployment's namespace.")
    rollout_timeout: int = Field(600, ge=10, le=86400, description="Seconds to wait for the rollout.")


def _cluster_api(cfg: Config, name: str) -> Any:
    from opsbook.providers.aws.stats import ApiStats
    from opsbook.providers.k8s.client import ClusterClients

    clients = ClusterClients(cfg, ApiStats())
    return clients, clients.api_client(clients.cluster(name), f"k8s:{name}")


def step(n: int, kind: str, action: str, resource: Resource, reason: str, **fields: Any) -> PlanItem:
    """Plan step `n` (ids 001, 002...)."""
    return PlanItem(id=f"{n:03d}", kind=kind, action=action, resource=resource, reason=reason, **fields)


@procedure(
    "scale-deployment",
    title="Scale a deployment (widening its HPA first), wait for the rollout, gate on the workload checks",
    section="Scaling Procedures / Horizontal Scaling",
    kinds=("k8s-hpa-bounds", "k8s-deployment-scale"),
    params=ScaleDeploymentParams,
    examples=(
        "opsbook plan scale-deployment --cluster my-cluster --deployment production/my-app --replicas 6 -o plan.json",
    ),
)
def plan_scale_deployment(cfg: Config, params: ScaleDeploymentParams, request: PlanRequest) -> Plan:
    if len(request.clusters) != 1:
        have = ", ".join(c.name for c in cfg.clusters) or "none configured"
        raise InputError(f"opsbook plan scale-deployment: name one --cluster (have: {have})")
    cluster = request.clusters[0]
    ns, _, name = params.deployment.rpartition("/")
    ns = ns or params.namespace
    if not DNS_LABEL.fullmatch(ns) or not DNS_NAME.fullmatch(name):
        raise InputError(
            f"opsbook plan scale-deployment: --deployment {params.deployment!r}: expected NAME or NAMESPACE/NAME"
        )
    clients = None
    try:
        from kubernetes.client.exceptions import ApiException

        clients, api = _cluster_api(cfg, cluster)
        try:
            dep = api.get_json(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
        except ApiException as exc:
            if exc.status == 404:
                raise NotFound(f"deployment {ns}/{name} not found in cluster {cluster}") from None
            raise
        hpas = api.list_items(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers")
    except OpsbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - the cluster could not be read: its target error, exit 3
        raise as_target_error(exc, where=f"cluster {cluster}", action="get deployments.apps") from None
    finally:
        if clients is not None:
            clients.close()
    now = int((dep.get("spec") or {}).get("replicas", 1))
    account = next((c.eks.account for c in cfg.clusters if c.name == cluster and c.eks), "")
    items: list[PlanItem] = []
    for hpa in hpas:
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        if ref.get("kind") != "Deployment" or ref.get("name") != name:
            continue
        spec = hpa.get("spec") or {}
        low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 1))
        want_low, want_high = params.replicas, max(high, params.replicas)  # the HPA keeps the new count
        if (want_low, want_high) == (low, high):
            continue
        if params.replicas < 1:
            raise InputError(
                f"opsbook plan scale-deployment: HPA {hpa['metadata']['name']} manages {name} and its minimum "
                "cannot be 0: delete the HPA first, or scale to 1 or more"
            )
        hname = hpa["metadata"]["name"]
        items.append(
            step(
                len(items) + 1,
                "k8s-hpa-bounds",
                "set-hpa-bounds",
                Resource(id=f"{ns}/{hname}", type="HorizontalPodAutoscaler", name=hname),
                f"HPA {hname} allows {low}-{high}; {want_low}-{want_high} keeps {params.replicas} replicas",
                account=account,
                cluster=cluster,
                params={"namespace": ns, "name": hname, "min": want_low, "max": want_high},
                evidence={"min": low, "max": high},
            )
        )
    items.append(
        step(
            len(items) + 1,
            "k8s-deployment-scale",
            "scale-deployment",
            Resource(id=f"{ns}/{name}", type="Deployment", name=name),
            f"kubectl scale deployment {name} -n {ns} --replicas={params.replicas} (now {now})",
            account=account,
            cluster=cluster,
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
    return new_plan(
        "scale-deployment",
        items,
        ttl=request.ttl,
        ordered=True,
        parameters=params.model_dump(mode="json") | {"cluster": cluster},
    )
