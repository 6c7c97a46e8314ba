"""Planner of the guide's blue/green switch (Upgrade Procedures / Upgrade Application Workloads):
`kubectl apply -f manifests/my-app-v2.yaml`, test v2, then
`kubectl patch service my-app -p '{"spec":{"selector":{"version":"v2"}}}'`.

`opsbook plan blue-green --service NS/SVC --to-selector version=v2 --deployment NS/my-app-v2` checks, read
only, that the switch can work, and writes: switch the selector, wait until the Service's Endpoints list
exactly the v2 pods, the smoke test if one is given, then the health gate. The plan rolls back on failure
(`on_failure: rollback`): the old selector goes back and the endpoints return to the old pods.

`--to-selector` MERGES into the Service's selector, as the guide's `kubectl patch` does: `app=my-app` with
`version=v2` becomes `app=my-app,version=v2` (the keys it names are set, the others kept), so the Service
still selects only its own app. Refused at plan time (exit 2): a Service without a selector, a selector that
would not change, a deployment that is not fully available (every replica updated, ready and available) or
whose pod template labels do not match the new selector, a new selector with no Ready pod or one that also
selects pods of another workload, a Service and deployment in different namespaces.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Resource
from opsbook.engine.workload import (
    Workload,
    cluster_api,
    read_workload,
    smoke_step,
    split_name,
    step,
    workload_plan,
)
from opsbook.procedures.k8s_scale import labels_of
from opsbook.procedures.k8s_service import matches, pod_ready, selector_of, text, unavailable
from opsbook.procedures.plan import Plan, PlanItem, Wait
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.procedures.smoke import parse_command

GATE = ("k8s.deployment_unavailable", "k8s.pod_not_running")
LABEL = re.compile(
    r"([a-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
)


class BlueGreenParams(ProcedureParams):
    service: str = Field(description="The Service to switch: NAMESPACE/NAME, or NAME in --namespace.")
    to_selector: str = Field(
        description="KEY=VALUE[,KEY=VALUE]: merged into the Service's selector, as the guide's `kubectl patch "
        "service` does (keys named are set, the others kept: app=my-app + version=v2 selects "
        "app=my-app,version=v2).",
    )
    deployment: str = Field(
        description="The deployment to switch to (the guide's my-app-v2): NAMESPACE/NAME, or NAME in --namespace."
    )
    smoke_test: str | None = Field(
        None,
        description="A command that must exit 0 after the switch (run without a shell, from this directory); a "
        "failure switches back.",
    )
    namespace: str = Field("default", description="The namespace of names given without one.")
    switch_timeout: int = Field(
        300, ge=5, le=86400, description="Seconds to wait for the endpoints to follow."
    )
    poll_interval: float = Field(2.0, gt=0, le=60, description="Seconds between reads while waiting.")


def parse_selector(raw: str) -> dict[str, str]:
    terms = [t.strip() for t in raw.split(",") if t.strip()]
    if not terms or not all(LABEL.fullmatch(t) for t in terms):
        raise InputError(f"opsbook plan blue-green: --to-selector {raw!r}: expected KEY=VALUE[,KEY=VALUE]")
    return dict(t.split("=", 1) for t in terms)


def refuse(why: str) -> InputError:
    return InputError(f"opsbook plan blue-green: {why}")


def read_service(cfg: Config, w: Workload, ns: str, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The Service and the namespace's pods."""
    from kubernetes.client.exceptions import ApiException

    with cluster_api(cfg, w.cluster, "get services") as api:
        try:
            service = api.get_json(f"/api/v1/namespaces/{ns}/services/{name}")
        except ApiException as exc:
            if exc.status == 404:
                raise NotFound(f"service {ns}/{name} not found in cluster {w.cluster}") from None
            raise
        return service, api.list_items(f"/api/v1/namespaces/{ns}/pods")


@procedure(
    "blue-green",
    title="Switch a Service's selector to a new, fully available deployment; endpoints verified, undone on failure",
    section="Upgrade Procedures / Upgrade Application Workloads",
    kinds=("k8s-service-selector", "smoke-test"),
    params=BlueGreenParams,
    examples=(
        "opsbook plan blue-green --service production/my-app --to-selector version=v2 "
        "--deployment production/my-app-v2 --cluster my-cluster -o switch.json",
    ),
    targets=("cluster",),  # the deployment's one cluster
)
def plan_blue_green(cfg: Config, params: BlueGreenParams, request: PlanRequest) -> Plan:
    to = parse_selector(params.to_selector)
    argv = parse_command(params.smoke_test) if params.smoke_test is not None else None
    ns, name = split_name("blue-green", "--service", params.service, params.namespace)
    w = read_workload(cfg, request, "blue-green", params.deployment, ns)
    if w.namespace != ns:
        raise refuse(
            f"service {ns}/{name} cannot select pods of deployment {w.namespace}/{w.name} (another namespace)"
        )
    service, pods = read_service(cfg, w, ns, name)
    old = selector_of(service)
    if not old:
        raise refuse(f"service {ns}/{name} has no selector (its endpoints are managed by hand)")
    new = {**old, **to}
    if new == old:
        raise refuse(f"service {ns}/{name} already selects {text(old)}")
    if why := unavailable(w.deployment):
        raise refuse(f"deployment {ns}/{w.name} is not fully available ({why}): switch only to one that is")
    template = ((w.deployment.get("spec") or {}).get("template") or {}).get("metadata") or {}
    labels = dict(template.get("labels") or {})
    if not matches(new, labels):
        raise refuse(
            f"the new selector {text(new)} does not select deployment {w.name}'s pods (labelled {text(labels)})"
        )
    own = dict(((w.deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
    selected = [p for p in pods if matches(new, labels_of(p))]
    ready = {p["status"]["podIP"]: p["metadata"]["name"] for p in selected if pod_ready(p)}
    if not ready:
        raise refuse(f"the new selector {text(new)} selects no Ready pod in {ns}")
    if strangers := sorted(p["metadata"]["name"] for p in selected if not matches(own, labels_of(p))):
        raise refuse(
            f"the new selector {text(new)} also selects pods not of {w.name}: {', '.join(strangers[:5])}"
        )
    warnings = []
    if already := [p for p in selected if matches(old, labels_of(p))]:
        warnings.append(
            f"the current selector {text(old)} already selects {len(already)} of {w.name}'s pods: traffic "
            "reaches them before the switch"
        )
    patch = json.dumps({"spec": {"selector": to}}, separators=(",", ":"))
    where = f"{ns}/{name}"
    items: list[PlanItem] = [
        step(
            1,
            "k8s-service-selector",
            "switch-selector",
            Resource(id=where, type="Service", name=name),
            f"kubectl patch service {name} -n {ns} -p '{patch}': selector {text(old)} -> {text(new)} "
            f"({len(ready)} Ready pods of {w.name})",
            account=w.account,
            cluster=w.cluster,
            params={"namespace": ns, "name": name, "selector": new, "from": old, "deployment": w.name},
            evidence={"from": old, "selector": new, "pods": dict(sorted(ready.items()))},
            wait=Wait(
                condition="service-endpoints",
                params={"namespace": ns, "name": name, "selector": new, "owner": own},
                timeout_s=params.switch_timeout,
                interval_s=params.poll_interval,
            ),
            gate=[] if argv else list(GATE),
        )
    ]
    items += smoke_step(argv, f"service {where} on {w.name}", w, GATE)
    return workload_plan("blue-green", w, items, params, request, warnings, on_failure="rollback")
