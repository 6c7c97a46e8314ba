"""HPA controller: after an HPA is created or its spec changes, keep its target's replicas within
[minReplicas, maxReplicas] and report current/desired replicas. It does not read metrics: an HPA whose
metrics are failing (ScalingActive=False) does not scale, and seeded HPAs stay as seeded."""

from __future__ import annotations

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.controllers.common import meta, now_stamp
from opsbook.sandbox.k8s.store import ClusterStore

HPA = "horizontalpodautoscalers.autoscaling"
TARGETS = {
    "Deployment": "deployments.apps",
    "ReplicaSet": "replicasets.apps",
    "StatefulSet": "statefulsets.apps",
}


def reconcile(store: ClusterStore) -> bool:
    changed = False
    for hpa in store.list(HPA):
        status = hpa.get("status")
        generation = int(meta(hpa).get("generation", 1))
        if status and int(status.get("observedGeneration", 1)) >= generation:
            continue
        spec, ns = hpa.get("spec") or {}, meta(hpa)["namespace"]
        ref = spec.get("scaleTargetRef") or {}
        resource = TARGETS.get(ref.get("kind", ""))
        try:
            target = store.get(resource, ref.get("name", ""), ns) if resource else None
        except errors.ApiError:
            target = None
        new_status = dict(status or {})
        new_status["observedGeneration"] = generation
        if target is not None and resource is not None:
            current = int((target.get("spec") or {}).get("replicas", 1))
            low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", current))
            desired = min(max(current, low), high)
            active = all(c.get("status") != "False" for c in new_status.get("conditions") or []
                         if c.get("type") == "ScalingActive")  # fmt: skip
            if active and desired != current:
                store.patch(resource, ref["name"], {"spec": {"replicas": desired}},
                            "application/merge-patch+json", ns, "scale")  # fmt: skip
                new_status["lastScaleTime"] = now_stamp()
                current = desired
            new_status.update(currentReplicas=current, desiredReplicas=desired if active else current)
        store.replace(HPA, meta(hpa)["name"], {**hpa, "status": new_status}, ns, "status")
        changed = True
    return changed
