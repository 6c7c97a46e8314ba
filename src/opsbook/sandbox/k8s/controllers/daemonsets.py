"""DaemonSet controller: one pod per eligible node (Ready, matching the nodeSelector, taints tolerated
except the cordon taint, which DaemonSet pods tolerate), bound directly to that node; pods on nodes that
no longer qualify are removed. Status counts follow the pods."""

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


def _eligible(node: Obj, template: Obj) -> bool:
    labels = meta(node).get("labels") or {}
    selector = (template.get("spec") or {}).get("nodeSelector") or {}
    return node_ready(node) and all(labels.get(k) == v for k, v in selector.items())


def reconcile(store: ClusterStore) -> bool:
    changed = False
    nodes = store.list("nodes")
    for ds in store.list(DS):
        ns = meta(ds)["namespace"]
        template = copy.deepcopy((ds.get("spec") or {}).get("template") or {})
        spec = template.setdefault("spec", {})
        spec["tolerations"] = [*(spec.get("tolerations") or []), *DS_TOLERATIONS]
        pods = [p for p in store.list("pods", ns) if owned_by(p, ds)]
        wanted = {meta(n)["name"] for n in nodes if _eligible(n, template)}
        placed = {(p.get("spec") or {}).get("nodeName") for p in pods}
        for node in sorted(wanted - placed):
            create_pod(store, ds, template, node)
            changed = True
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") not in wanted:
                store.delete("pods", meta(pod)["name"], ns)
                changed = True
        if changed:
            pods = [p for p in store.list("pods", ns) if owned_by(p, ds)]
        ready = sum(1 for p in pods if pod_ready(p))
        status = {**(ds.get("status") or {}), "desiredNumberScheduled": len(wanted),
                  "currentNumberScheduled": len(pods), "numberReady": ready, "numberAvailable": ready,
                  "updatedNumberScheduled": len(pods), "numberMisscheduled": 0,
                  "observedGeneration": meta(ds).get("generation", 1)}  # fmt: skip
        if status != ds.get("status"):
            store.replace(DS, meta(ds)["name"], {**ds, "status": status}, ns, "status")
            changed = True
    return changed
