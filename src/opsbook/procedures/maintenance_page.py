"""The maintenance page (guide: Maintenance Windows / Execute Maintenance: `kubectl apply -f
manifests/maintenance-page.yaml`, then `kubectl delete -f manifests/maintenance-page.yaml`).

Kind `k8s-maintenance-page`, params `state` (on | off) and `objects` ([{"path", "body"}]: each object's
URL, found by discovery when the plan was made, and the manifest's object):
- on: server-side apply of every object (field manager `opsbook`), each annotated `opsbook.io/plan: <hash>`.
  Re-check: done when every object exists with this plan's annotation; changed when one exists without it
  (someone else's object of that name is never overwritten); else eligible. Undo: delete them.
- off: delete the objects carrying this plan's annotation. Re-check: done when none is left; changed when
  one left is not this plan's. Undo: apply them again.
"""

from __future__ import annotations

import copy
from typing import Any

from opsbook.procedures.k8s_hpa import PLAN_ANNOTATION
from opsbook.procedures.kinds import Clients, Live, item_kind, two_way
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.velero import get_or_none


def _mark(obj: dict[str, Any] | None) -> str | None:
    return (((obj or {}).get("metadata") or {}).get("annotations") or {}).get(PLAN_ANNOTATION)


def _names(objects: list[dict[str, Any]]) -> str:
    return ", ".join(f"{o['body']['kind']} {o['path'].rsplit('/', 1)[-1]}" for o in objects)


def _live(item: PlanItem, clients: Clients) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(objects present and this plan's, objects present that are not this plan's)."""
    api = clients("k8s")
    ours: list[dict[str, Any]] = []
    foreign: list[dict[str, Any]] = []
    for o in item.params["objects"]:
        live = get_or_none(api, o["path"])
        if live is not None:
            (ours if _mark(live) == clients.plan_hash else foreign).append(o)
    return ours, foreign


def recheck(item: PlanItem, clients: Clients) -> Live:
    objects, on = item.params["objects"], item.params["state"] == "on"
    ours, foreign = _live(item, clients)
    if foreign:
        return Live("changed", f"not this plan's, left alone: {_names(foreign)}")
    if on and len(ours) == len(objects):
        return Live("done", f"maintenance page is on: {_names(objects)}")
    if not on and not ours:
        return Live("done", f"maintenance page is off: {_names(objects)} gone")
    return Live("eligible", f"{'apply' if on else 'delete'} {_names(objects)}")


def page_on(item: PlanItem, clients: Clients) -> dict[str, Any]:
    api = clients("k8s")
    for o in item.params["objects"]:
        body = copy.deepcopy(o["body"])
        body.setdefault("metadata", {}).setdefault("annotations", {})[PLAN_ANNOTATION] = clients.plan_hash
        api.server_apply(o["path"], body)
    return {"applied": [o["path"] for o in item.params["objects"]]}


def page_off(item: PlanItem, clients: Clients) -> dict[str, Any]:
    ours, _ = _live(item, clients)
    api = clients("k8s")
    return {"deleted": [o["path"] for o in ours if api.delete(o["path"])]}


act, undo = two_way("state", "on", page_on, page_off)


item_kind(
    "k8s-maintenance-page",
    action="maintenance-page",
    permissions=("patch (server-side apply) and delete the manifest's kinds", "get the manifest's kinds"),
    recheck=recheck,
    act=act,
    undo=undo,
)
