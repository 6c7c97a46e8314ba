"""Planner of the guide's rolling update (Upgrade Procedures / Upgrade Application Workloads):
`kubectl set image`, `kubectl rollout status`, and `kubectl rollout undo` when it goes wrong.

`opsbook plan rollout NS/DEPLOY --image CONTAINER=IMAGE:TAG [--smoke-test CMD]` reads the deployment and
writes: set the images (wait for the rollout by `kubectl rollout status`'s rules), the smoke test if one is
given, then the health gate. The plan rolls back on failure (`on_failure: rollback`): a rollout past its
progress deadline, a wait that times out, a failing smoke test or a red gate puts the starting revision's
template back and waits for it, in the same apply. Refused at plan time (exit 2): a container the
deployment does not have (the guide's `my-app=...` names one the sandbox's my-app lacks: its container is
`app`), images it already runs, a paused deployment, a rollout still in progress or one that failed (there
would be no healthy revision to return to), a smoke-test command that cannot run.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.models import Resource
from opsbook.engine.workload import Workload, cluster_api, read_workload, smoke_step, step, workload_plan
from opsbook.procedures.k8s_rollout import describe, revision_of
from opsbook.procedures.k8s_scale import images_of
from opsbook.procedures.plan import Plan, PlanItem, Wait
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.procedures.smoke import parse_command

GATE = ("k8s.deployment_unavailable", "k8s.pod_not_running")
IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*")
CONTAINER = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


class RolloutParams(ProcedureParams):
    deployment: str = Field(
        description="The deployment: NAMESPACE/NAME, or NAME in --namespace.",
        json_schema_extra={"argument": True},
    )
    image: list[str] = Field(
        min_length=1,
        description="CONTAINER=IMAGE:TAG, the guide's `kubectl set image` pair; the container must exist in "
        "the deployment.",
    )
    smoke_test: str | None = Field(
        None,
        description="A command that must exit 0 after the rollout (run without a shell, from this directory); "
        "a failure rolls the deployment back.",
    )
    namespace: str = Field("default", description="The deployment's namespace.")
    rollout_timeout: int = Field(600, ge=5, le=86400, description="Seconds to wait for the rollout.")
    poll_interval: float = Field(2.0, gt=0, le=60, description="Seconds between reads while waiting.")


def parse_images(given: list[str], containers: list[str], where: str) -> dict[str, str]:
    """CONTAINER=IMAGE pairs, each naming a container of the deployment (InputError names the option)."""
    images: dict[str, str] = {}
    for pair in given:
        container, sep, image = pair.partition("=")
        if not sep or not CONTAINER.fullmatch(container) or not IMAGE.fullmatch(image):
            raise InputError(f"opsbook plan rollout: --image {pair!r}: expected CONTAINER=IMAGE:TAG")
        if container in images:
            raise InputError(f"opsbook plan rollout: --image names container {container} twice")
        if container not in containers:
            raise InputError(
                f"opsbook plan rollout: --image {pair}: deployment {where} has no container {container!r} "
                f"(it has: {', '.join(containers) or 'none'})"
            )
        images[container] = image
    return images


def rollout_state(dep: dict[str, Any]) -> str | None:
    """Why the deployment is not at rest at a finished rollout (None when it is)."""
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    want = int(spec.get("replicas", 1))
    if spec.get("paused"):
        return "is paused (`kubectl rollout resume` it first)"
    if int(status.get("observedGeneration", 0)) < int(dep["metadata"].get("generation", 0)):
        return "has a change its controller has not seen yet: wait for `kubectl rollout status`"
    for c in status.get("conditions") or []:
        if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
            return (
                "is at a rollout that failed (ProgressDeadlineExceeded): its revision is no state to roll "
                "back to; fix or `kubectl rollout undo` it first"
            )
    updated, total = int(status.get("updatedReplicas") or 0), int(status.get("replicas") or 0)
    if updated < want or total > updated:
        return f"is mid-rollout ({updated}/{want} updated, {total} in all): wait for `kubectl rollout status`"
    return None


def current_replicaset(cfg: Config, w: Workload) -> dict[str, Any]:
    """The ReplicaSet of the deployment's current revision: the template a rollback returns to."""
    revision = revision_of(w.deployment)
    uid = w.deployment["metadata"].get("uid")
    with cluster_api(cfg, w.cluster, "list replicasets.apps") as api:
        sets = api.list_items(f"/apis/apps/v1/namespaces/{w.namespace}/replicasets")
    for rs in sets:
        owners = (rs.get("metadata") or {}).get("ownerReferences") or []
        if any(o.get("uid") == uid for o in owners) and revision_of(rs) == revision:
            return dict(rs)
    raise InputError(
        f"opsbook plan rollout: deployment {w.namespace}/{w.name} has no ReplicaSet of its revision {revision}: "
        "there would be nothing to roll back to"
    )


@procedure(
    "rollout",
    title="Roll out new images (set image, rollout status, smoke test, gate); roll back on failure",
    section="Upgrade Procedures / Upgrade Application Workloads",
    kinds=("k8s-set-image", "smoke-test"),
    params=RolloutParams,
    examples=(
        "opsbook plan rollout production/my-app --image app=mycompany/my-app:2.5.0 --cluster my-cluster -o rollout.json",
        "opsbook plan rollout production/my-app --image app=mycompany/my-app:2.5.0 --smoke-test ./scripts/smoke-test.sh "
        "--cluster my-cluster",
    ),
    targets=("cluster",),  # the deployment's one cluster
)
def plan_rollout(cfg: Config, params: RolloutParams, request: PlanRequest) -> Plan:
    argv = parse_command(params.smoke_test) if params.smoke_test is not None else None
    w = read_workload(cfg, request, "rollout", params.deployment, params.namespace, "DEPLOYMENT")
    where = f"{w.namespace}/{w.name}"
    live = images_of((w.deployment.get("spec") or {}).get("template") or {})
    wanted = parse_images(params.image, list(live), where)
    images = {c: image for c, image in wanted.items() if live[c] != image}
    if not images:
        raise InputError(f"opsbook plan rollout: deployment {where} already runs {describe(wanted)}")
    if why := rollout_state(w.deployment):
        raise InputError(f"opsbook plan rollout: deployment {where} {why}")
    rs = current_replicaset(cfg, w)
    status = w.deployment.get("status") or {}
    available = int(status.get("availableReplicas") or 0)
    warnings = []
    if available < w.replicas:
        warnings.append(
            f"deployment {where} has {available} of {w.replicas} replicas available before the rollout; "
            f"a rollback waits for {available} again"
        )
    revision = revision_of(w.deployment)
    was = {c: live[c] for c in images}
    items: list[PlanItem] = [
        step(
            1,
            "k8s-set-image",
            "set-image",
            Resource(id=where, type="Deployment", name=w.name),
            f"kubectl set image deployment/{w.name} -n {w.namespace} "
            + " ".join(f"{c}={i}" for c, i in sorted(images.items()))
            + f" (revision {revision} runs {describe(was)}; on failure: back to it)",
            account=w.account,
            cluster=w.cluster,
            params={
                "namespace": w.namespace,
                "name": w.name,
                "images": images,
                "from_images": was,
                "from_revision": revision,
                "from_replicaset": rs["metadata"]["name"],
                "from_available": available,
            },  # fmt: skip
            evidence={"revision": revision, "images": live, "replicas": w.replicas, "available": available},
            wait=Wait(
                condition="deployment-rolled-out",
                params={"namespace": w.namespace, "name": w.name, "images": images},
                timeout_s=params.rollout_timeout,
                interval_s=params.poll_interval,
            ),
            gate=[] if argv else list(GATE),
        )
    ]
    items += smoke_step(argv, f"the rollout of {where}", w, GATE)
    return workload_plan("rollout", w, items, params, request, warnings, on_failure="rollback")
