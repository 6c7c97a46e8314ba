"""Deployment controller: one ReplicaSet per pod template, rolled over like the real controller.

- The ReplicaSet whose template equals the Deployment's (ignoring `pod-template-hash`) is the new one;
  none -> a new `<name>-<hash>` ReplicaSet at revision max+1 (so `set image` and `rollout restart`
  make one, and `rollout undo` revives an old one at a new revision, as Kubernetes does).
- RollingUpdate honours maxSurge/maxUnavailable step by step as pods become available; Recreate scales
  the old ReplicaSets to 0 first.
- Status (replicas, updated/ready/available/unavailable, observedGeneration, Available and Progressing
  conditions) follows the ReplicaSets. When the new pods cannot pull their image (see `kubelet.py`),
  Progressing turns False/ProgressDeadlineExceeded after `bad_image_deadline` seconds (the sandbox's short
  stand-in for spec.progressDeadlineSeconds), which `kubectl rollout status` reports as a failed rollout.
A Deployment is acted on only after its spec changed (generation > observedGeneration) and until that
rollout completes or fails, so seeded states (unavailable replicas, a stuck rollout) stay as seeded.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

from opsbook.sandbox.k8s.controllers.common import (
    HASH_LABEL,
    REVISION,
    Obj,
    meta,
    notes_of,
    owned_by,
    owner_ref,
    scaled,
    set_condition,
    template_hash,
    template_key,
)
from opsbook.sandbox.k8s.store import ClusterStore

RS = "replicasets.apps"


def _replicas(obj: Obj) -> int:
    return int((obj.get("spec") or {}).get("replicas", 1))


def _count(obj: Obj, field: str) -> int:
    return int((obj.get("status") or {}).get(field, 0))


def _revision(rs: Obj) -> int:
    text = notes_of(rs).get(REVISION, "0")
    return int(text) if text.isdigit() else 0


class DeploymentController:
    def __init__(self, bad_image_deadline: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.bad_image_deadline = bad_image_deadline
        self.clock = clock
        self._rolling: dict[str, float] = {}  # deployment uid -> when its current rollout started

    def reconcile(self, store: ClusterStore) -> bool:
        changed = False
        for dep in store.list("deployments.apps"):
            uid = meta(dep)["uid"]
            observed = int((dep.get("status") or {}).get("observedGeneration", 0))
            if int(meta(dep).get("generation", 1)) > observed:
                self._rolling[uid] = self.clock()
            elif uid not in self._rolling:
                continue
            changed = self._sync(store, dep) or changed
        return changed

    def _sync(self, store: ClusterStore, dep: Obj) -> bool:
        ns, name = meta(dep)["namespace"], meta(dep)["name"]
        owned = [rs for rs in store.list(RS, ns) if owned_by(rs, dep)]
        template = (dep.get("spec") or {}).get("template") or {}
        key = template_key(template)
        new = next((rs for rs in owned if template_key((rs.get("spec") or {}).get("template")) == key), None)
        top = max((_revision(rs) for rs in owned), default=0)
        acted = False
        if new is None:
            new = store.create(self._new_replicaset(dep, top + 1))
            owned.append(new)
            acted = True
        elif _revision(new) < top or not _revision(new):
            new["metadata"].setdefault("annotations", {})[REVISION] = str(
                top + 1 if _revision(new) < top else 1
            )
            new = store.replace(RS, meta(new)["name"], new, ns)
            acted = True
        olds = [rs for rs in owned if meta(rs)["uid"] != meta(new)["uid"]]
        if notes_of(dep).get(REVISION) != notes_of(new).get(REVISION):
            dep["metadata"].setdefault("annotations", {})[REVISION] = notes_of(new)[REVISION]
            dep = store.replace("deployments.apps", name, dep, ns)
        if not (dep.get("spec") or {}).get("paused"):
            acted = self._scale(store, dep, new, olds) or acted
        return self._status(store, dep) or acted

    @staticmethod
    def _new_replicaset(dep: Obj, revision: int) -> Obj:
        template = copy.deepcopy((dep.get("spec") or {}).get("template") or {})
        pod_hash = template_hash(template)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy((dep.get("spec") or {}).get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        notes = {REVISION: str(revision), "deployment.kubernetes.io/desired-replicas": str(_replicas(dep))}
        cause = notes_of(dep).get("kubernetes.io/change-cause")
        if cause:
            notes["kubernetes.io/change-cause"] = cause
        return {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta(dep)['name']}-{pod_hash}",
                "namespace": meta(dep)["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": notes,
                "ownerReferences": owner_ref(dep),
            },  # fmt: skip
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }

    @staticmethod
    def _resize(store: ClusterStore, rs: Obj, replicas: int) -> bool:
        if _replicas(rs) == replicas:
            return False
        rs["spec"]["replicas"] = replicas
        store.replace(RS, meta(rs)["name"], rs, meta(rs)["namespace"])
        return True

    def _scale(self, store: ClusterStore, dep: Obj, new: Obj, olds: list[Obj]) -> bool:
        desired = _replicas(dep)
        strategy = (dep.get("spec") or {}).get("strategy") or {}
        active_olds = [rs for rs in olds if _replicas(rs)]
        if not active_olds:
            return self._resize(store, new, desired)
        if strategy.get("type") == "Recreate":
            acted = any([self._resize(store, rs, 0) for rs in active_olds])
            if all(not _count(rs, "replicas") for rs in active_olds):
                acted = self._resize(store, new, desired) or acted
            return acted
        rolling = strategy.get("rollingUpdate") or {}
        surge = scaled(rolling.get("maxSurge", "25%"), desired, round_up=True)
        unavailable = scaled(rolling.get("maxUnavailable", "25%"), desired, round_up=False)
        if not surge and not unavailable:
            unavailable = 1
        everything = [new, *olds]
        room = desired + surge - sum(_replicas(rs) for rs in everything)
        acted = False
        if room > 0 and _replicas(new) < desired:
            acted = self._resize(store, new, min(desired, _replicas(new) + room))
        removable = sum(_count(rs, "availableReplicas") for rs in everything) - (desired - unavailable)
        for rs in sorted(active_olds, key=_revision):
            unhealthy = max(_replicas(rs) - _count(rs, "availableReplicas"), 0)
            cut = min(_replicas(rs), unhealthy + max(removable, 0))
            if cut:
                removable -= max(cut - unhealthy, 0)
                acted = self._resize(store, rs, _replicas(rs) - cut) or acted
        return acted

    def _status(self, store: ClusterStore, dep: Obj) -> bool:
        ns, name, uid = meta(dep)["namespace"], meta(dep)["name"], meta(dep)["uid"]
        owned = [rs for rs in store.list(RS, ns) if owned_by(rs, dep)]
        key = template_key((dep.get("spec") or {}).get("template"))
        new = next((rs for rs in owned if template_key((rs.get("spec") or {}).get("template")) == key), None)
        desired = _replicas(dep)
        total = sum(_count(rs, "replicas") for rs in owned)
        available = sum(_count(rs, "availableReplicas") for rs in owned)
        updated = _count(new, "replicas") if new else 0
        status = copy.deepcopy(dep.get("status") or {})
        status.update(observedGeneration=int(meta(dep).get("generation", 1)), replicas=total,
                      updatedReplicas=updated, readyReplicas=sum(_count(rs, "readyReplicas") for rs in owned),
                      availableReplicas=available)  # fmt: skip
        for field in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
            if not status[field]:
                status.pop(field)
        spec_replicas = sum(_replicas(rs) for rs in owned)
        if spec_replicas - available > 0:
            status["unavailableReplicas"] = spec_replicas - available
        else:
            status.pop("unavailableReplicas", None)
        rolling = ((dep.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
        floor = desired - scaled(rolling.get("maxUnavailable", "25%"), desired, round_up=False)
        if available >= floor:
            set_condition(
                status,
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
            )
        else:
            set_condition(status, "Available", "False", "MinimumReplicasUnavailable",
                          "Deployment does not have minimum availability.")  # fmt: skip
        rs_name = meta(new)["name"] if new else name
        if new and updated == desired == total and available >= desired:
            set_condition(status, "Progressing", "True", "NewReplicaSetAvailable",
                          f'ReplicaSet "{rs_name}" has successfully progressed.')  # fmt: skip
            self._rolling.pop(uid, None)
        elif (
            self._pull_failing(store, new)
            and self.clock() - self._rolling.get(uid, self.clock()) >= self.bad_image_deadline
        ):
            set_condition(status, "Progressing", "False", "ProgressDeadlineExceeded",
                          f'ReplicaSet "{rs_name}" has timed out progressing.')  # fmt: skip
            self._rolling.pop(uid, None)
        else:
            set_condition(
                status, "Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'
            )
        if status == (dep.get("status") or {}):
            return False
        store.replace("deployments.apps", name, {**dep, "status": status}, ns, "status")
        return True

    @staticmethod
    def _pull_failing(store: ClusterStore, new: Obj | None) -> bool:
        if new is None:
            return False
        for pod in store.list("pods", meta(new)["namespace"]):
            if owned_by(pod, new):
                for cs in (pod.get("status") or {}).get("containerStatuses") or []:
                    if ((cs.get("state") or {}).get("waiting") or {}).get("reason") == "ImagePullBackOff":
                        return True
        return False
