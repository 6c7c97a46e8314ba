"""DaemonSet controller: one pod per eligible node (matching the nodeSelector; taints tolerated except the
cordon taint, which DaemonSet pods tolerate), bound directly to that node. New pods go only to Ready nodes;
a pod on a node that went NotReady stays there (DaemonSet pods tolerate not-ready and unreachable), and
pods on nodes that are gone or no longer match are removed. Status counts follow the pods."""

from __future__ import annotations

import copy

from opsbook.sandbox.k8s.controllers.common import Obj, meta, owned_by, pod_ready
from opsbook.sandbox.k8s.controllers.replicasets import create_pod
from opsbook.sandbox.k8s.controllers.scheduler import node_ready
from opsbook.sandbox.k8s.store import ClusterStore

DS = "daemonsets.apps"
DS_TOLERATIONS = [
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
]


def _matches(node: Obj, template: Obj) -> bool:
    labels = meta(node).get("labels") or {}
    selector = (template.get("spec") or {}).get("nodeSelector") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def reconcile(store: ClusterStore) -> bool:
    changed = False
    nodes = store.list("nodes")
    for ds in store.list(DS):
        ns = meta(ds)["namespace"]
        template = copy.deepcopy((ds.get("spec") or {}).get("template") or {})
        spec = template.setdefault("spec", {})
        spec["tolerations"] = [*(spec.get("tolerations") or []), *DS_TOLERATIONS]
        pods = [p for p in store.list("pods", ns) if owned_by(p, ds)]
        keep = {meta(n)["name"] for n in nodes if _matches(n, template)}
        wanted = {meta(n)["name"] for n in nodes if node_ready(n) and _matches(n, template)}
        placed = {(p.get("spec") or {}).get("nodeName") for p in pods}
        for node in sorted(wanted - placed):
            create_pod(store, ds, template, node)
            changed = True
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") not in keep:
                store.delete("pods", meta(pod)["name"], ns)
                changed = True
        if changed:
            pods = [p for p in store.list("pods", ns) if owned_by(p, ds)]
        desired = len(wanted | (placed & keep))
        ready = sum(1 for p in pods if pod_ready(p))
        status = {**(ds.get("status") or {}), "desiredNumberScheduled": desired,
                  "currentNumberScheduled": len(pods), "numberReady": ready, "numberAvailable": ready,
                  "numberUnavailable": max(desired - ready, 0), "updatedNumberScheduled": len(pods),
                  "numberMisscheduled": 0, "observedGeneration": meta(ds).get("generation", 1)}  # fmt: skip
        if not status["numberUnavailable"]:
            del status["numberUnavailable"]
        if status != ds.get("status"):
            store.replace(DS, meta(ds)["name"], {**ds, "status": status}, ns, "status")
            changed = True
    return changed
