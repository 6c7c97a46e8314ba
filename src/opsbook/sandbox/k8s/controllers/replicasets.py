"""ReplicaSet controller: keep `spec.replicas` pods owned by each ReplicaSet, and its status counts.

Pods are made from the template (named `<replicaset>-<5 chars>`, owner reference to the ReplicaSet) and
start Pending for the scheduler; extra pods go unscheduled first, then not ready, then newest.
The status is rewritten only when its counts differ from the pods (seeded objects stay as seeded).
"""

from __future__ import annotations

import copy

from opsbook.sandbox.k8s.controllers.common import (
    Obj,
    mark_bound,
    meta,
    owned_by,
    owner_ref,
    pod_ready,
    suffix,
)
from opsbook.sandbox.k8s.errors import ApiError
from opsbook.sandbox.k8s.store import ClusterStore


def new_pod(owner: Obj, template: Obj, name: str, node: str | None = None) -> Obj:
    """A Pending pod from a pod template, owned by `owner` (a ReplicaSet or DaemonSet)."""
    tmeta = template.get("metadata") or {}
    spec = copy.deepcopy(template.get("spec") or {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    if node:
        spec["nodeName"] = node
    pod_meta: Obj = {"name": name, "namespace": meta(owner)["namespace"], "ownerReferences": owner_ref(owner)}
    for field in ("labels", "annotations"):
        if tmeta.get(field):
            pod_meta[field] = copy.deepcopy(tmeta[field])
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec,
           "status": {"phase": "Pending", "qosClass": _qos(spec)}}  # fmt: skip
    if node:
        mark_bound(pod)
    return pod


def _qos(spec: Obj) -> str:
    resources = [c.get("resources") or {} for c in spec.get("containers") or []]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(
        r.get("limits") and r.get("requests", r.get("limits")) == r.get("limits") for r in resources
    )
    return "Guaranteed" if guaranteed else "Burstable"


def _doomed_order(pod: Obj) -> tuple[int, int, str]:
    scheduled = 1 if (pod.get("spec") or {}).get("nodeName") else 0
    return scheduled, 1 if pod_ready(pod) else 0, "~" + meta(pod).get("creationTimestamp", "")


def create_pod(store: ClusterStore, owner: Obj, template: Obj, node: str | None = None) -> None:
    base, uid = meta(owner)["name"], meta(owner)["uid"]
    for attempt in range(20):
        name = f"{base}-{suffix(f'{uid}/{store.resource_version}/{attempt}')}"
        try:
            store.create(new_pod(owner, template, name, node))
            return
        except ApiError as exc:
            if exc.code != 409:
                raise


def reconcile(store: ClusterStore) -> bool:
    changed = False
    for rs in store.list("replicasets.apps"):
        ns = meta(rs)["namespace"]
        pods = [p for p in store.list("pods", ns) if owned_by(p, rs)]
        want = int((rs.get("spec") or {}).get("replicas", 1))
        template = (rs.get("spec") or {}).get("template") or {}
        for _ in range(want - len(pods)):
            create_pod(store, rs, template)
        for pod in sorted(pods, key=_doomed_order)[: max(len(pods) - want, 0)]:
            store.delete("pods", meta(pod)["name"], ns)
        if len(pods) != want:
            changed = True
            pods = [p for p in store.list("pods", ns) if owned_by(p, rs)]
        changed = _status(store, rs, pods) or changed
    return changed


def _status(store: ClusterStore, rs: Obj, pods: list[Obj]) -> bool:
    status = rs.get("status") or {}
    ready = sum(1 for p in pods if pod_ready(p))
    counts = {"replicas": len(pods), "readyReplicas": ready, "availableReplicas": ready}
    generation = int(meta(rs).get("generation", 1))
    stale = int(status.get("observedGeneration", 0)) < generation
    if not stale and all(int(status.get(k, 0)) == v for k, v in counts.items()):
        return False
    new = {**status, **counts, "fullyLabeledReplicas": len(pods), "observedGeneration": generation}
    for key in ("readyReplicas", "availableReplicas"):
        if not new[key]:
            new.pop(key)
    store.replace(
        "replicasets.apps", meta(rs)["name"], {**rs, "status": new}, meta(rs)["namespace"], "status"
    )
    return True
