"""`kubectl rollout restart deployment/NAME` (guide: Emergency Procedures, "Restart if needed") as an item kind:

- `k8s-restart`: stamps the pod template's `kubectl.kubernetes.io/restartedAt` annotation with the time
  chosen when the plan was made (params `stamp`), as kubectl does with the current time; the controller
  replaces every pod. The step waits for `deployment-rolled-out` (k8s_scale.py). The fixed stamp makes it
  idempotent: a re-check that finds the plan's own stamp is done, so a second apply sends nothing.
- no undo: the old pods are gone, and restarting again would not bring them back (`irreversible`).

Item params: `namespace`, `name`, `stamp`, `from_stamp` (the annotation the plan saw, or None).
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures.k8s_scale import deployment_doc, labels_of
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.secret_mirror import RESTARTED, restarted_at

STRATEGIC = "application/strategic-merge-patch+json"


def recheck_restart(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    dep = deployment_doc(clients("k8s"), p["namespace"], p["name"])
    now = restarted_at(dep)
    if now == p["stamp"]:
        return Live("done", f"{p['name']} was restarted by this plan ({RESTARTED} {now})", labels_of(dep))
    if now != p.get("from_stamp"):
        return Live(
            "changed", f"{p['name']} was restarted since the plan ({RESTARTED} {now})", labels_of(dep)
        )
    return Live("eligible", f"{p['name']}: restart every pod ({RESTARTED} {p['stamp']})", labels_of(dep))


def restart(item: PlanItem, clients: Clients) -> dict[str, Any]:
    from kubernetes import client as k8s

    p = item.params
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED: p["stamp"]}}}}}
    k8s.AppsV1Api(clients("k8s")).patch_namespaced_deployment(
        p["name"], p["namespace"], body, _content_type=STRATEGIC
    )
    return {"restarted_at": p["stamp"]}


item_kind(
    "k8s-restart",
    action="rollout-restart",
    permissions=("get deployments.apps", "patch deployments.apps"),
    recheck=recheck_restart,
    act=restart,
    irreversible="a restart replaced the pods; restarting again would not bring the old ones back",
)
