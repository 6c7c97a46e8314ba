"""Node controller: a cordoned node (`spec.unschedulable`) carries the `node.kubernetes.io/unschedulable`
NoSchedule taint, and loses it when uncordoned, as the node lifecycle controller does."""

from __future__ import annotations

from opsbook.sandbox.k8s.controllers.common import meta, now_stamp
from opsbook.sandbox.k8s.store import ClusterStore

TAINT = "node.kubernetes.io/unschedulable"


def reconcile(store: ClusterStore) -> bool:
    changed = False
    for node in store.list("nodes"):
        spec = node.setdefault("spec", {})
        taints = spec.get("taints") or []
        tainted = any(t.get("key") == TAINT for t in taints)
        if bool(spec.get("unschedulable")) == tainted:
            continue
        if tainted:
            spec["taints"] = [t for t in taints if t.get("key") != TAINT]
            if not spec["taints"]:
                del spec["taints"]
        else:
            spec["taints"] = [*taints, {"key": TAINT, "effect": "NoSchedule", "timeAdded": now_stamp()}]
        store.replace("nodes", meta(node)["name"], node)
        changed = True
    return changed
