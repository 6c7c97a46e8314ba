"""The `pods/<name>/eviction` subresource: delete a pod unless a PodDisruptionBudget forbids it (429).

A budget covers a pod when its selector matches the pod's labels in the same namespace. Its allowed
disruptions are the ready pods it covers minus the ones it must keep (`minAvailable`, or the expected
pods minus `maxUnavailable`; percentages of the expected pods, rounded up). `kubectl drain` retries a
429 every 5 seconds until its --timeout, as against a real cluster.
"""

from __future__ import annotations

from typing import Any

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.controllers.common import Obj, meta, pod_ready, scaled, selects
from opsbook.sandbox.k8s.store import ClusterStore

PDB = "poddisruptionbudgets.policy"


def budget(pdb: Obj, pods: list[Obj]) -> tuple[int, int, int, int]:
    """(expected pods, currently healthy, desired healthy, disruptions allowed) for one budget."""
    covered = [p for p in pods if selects((pdb.get("spec") or {}).get("selector"), p)]
    expected = len(covered)
    healthy = sum(1 for p in covered if pod_ready(p))
    spec = pdb.get("spec") or {}
    if spec.get("minAvailable") is not None:
        desired = scaled(spec["minAvailable"], expected, round_up=True)
    else:
        desired = expected - scaled(spec.get("maxUnavailable", 0), expected, round_up=True)
    return expected, healthy, max(desired, 0), max(healthy - desired, 0)


def evict(store: ClusterStore, namespace: str, name: str, body: Any, dry_run: bool) -> Obj:
    pod = store.get("pods", name, namespace)
    pods = store.list("pods", namespace)
    for pdb in store.list(PDB, namespace):
        if not selects((pdb.get("spec") or {}).get("selector"), pod):
            continue
        _, _, _, allowed = budget(pdb, pods)
        if allowed <= 0 and pod_ready(pod):
            raise errors.ApiError(
                429,
                "TooManyRequests",
                "Cannot evict pod as it would violate the pod's disruption budget.",
                {
                    "causes": [
                        {
                            "reason": "DisruptionBudget",
                            "message": f"The disruption budget "
                            f"{meta(pdb)['name']} needs {budget(pdb, pods)[2]} healthy pods and has "
                            f"{budget(pdb, pods)[1]} currently",
                        }
                    ]
                },  # fmt: skip
            )
    options = (body or {}).get("deleteOptions") or {} if isinstance(body, dict) else {}
    store.delete("pods", name, namespace, dry_run=dry_run or "All" in (options.get("dryRun") or []))
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
