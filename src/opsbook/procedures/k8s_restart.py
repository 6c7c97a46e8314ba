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

from opsbook.procedures.k8s_scale import gone, labels_of, live_deployment
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.secret_mirror import RESTARTED, restart, restarted_at


def recheck_restart(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    dep = live_deployment(clients, p["namespace"], p["name"])
    if dep is None:
        return gone(p["namespace"], p["name"])
    now = restarted_at(dep)
    if now == p["stamp"]:
        return Live("done", f"{p['name']} was restarted by this plan ({RESTARTED} {now})", labels_of(dep))
    if now != p.get("from_stamp"):
        return Live(
            "changed", f"{p['name']} was restarted since the plan ({RESTARTED} {now})", labels_of(dep)
        )
    return Live("eligible", f"{p['name']}: restart every pod ({RESTARTED} {p['stamp']})", labels_of(dep))


def restart_once(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p = item.params
    return {"restarted_at": restart(clients, p["namespace"], p["name"], at=p["stamp"])}


item_kind(
    "k8s-restart",
    action="rollout-restart",
    permissions=("get deployments.apps", "patch deployments.apps"),
    recheck=recheck_restart,
    act=restart_once,
    irreversible="a restart replaced the pods; restarting again would not bring the old ones back",
)
