"""Disruption controller: keep each PodDisruptionBudget's status (expected, healthy, allowed) current."""

from __future__ import annotations

from opsbook.sandbox.k8s.controllers.common import meta
from opsbook.sandbox.k8s.controllers.eviction import PDB, budget
from opsbook.sandbox.k8s.store import ClusterStore


def reconcile(store: ClusterStore) -> bool:
    changed = False
    for pdb in store.list(PDB):
        expected, healthy, desired, allowed = budget(pdb, store.list("pods", meta(pdb)["namespace"]))
        status = {**(pdb.get("status") or {}), "expectedPods": expected, "currentHealthy": healthy,
                  "desiredHealthy": desired, "disruptionsAllowed": allowed,
                  "observedGeneration": meta(pdb).get("generation", 1)}  # fmt: skip
        if status != pdb.get("status"):
            store.replace(PDB, meta(pdb)["name"], {**pdb, "status": status}, meta(pdb)["namespace"], "status")
            changed = True
    return changed
