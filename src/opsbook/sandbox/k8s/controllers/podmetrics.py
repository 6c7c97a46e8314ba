"""metrics-server for pods: the `metrics.k8s.io` PodMetrics that `kubectl top pods` and the HPA controller
read, kept in step with the pods a workload runs.

The load model: a workload (the Deployment behind a pod's ReplicaSet, or the pod's own controller) serves a
fixed amount of CPU work, shared evenly by its Running and Ready pods, so adding pods lowers each pod's
use and an HPA settles at a replica count (`ceil(load / (request x target))`). A workload's load is

- the annotation `sandbox.opsbook.io/cpu-load` (e.g. `"600m"`) on the workload, when set: the knob tests
  and demos turn to make an HPA scale;
- else the sum of its pods' CPU when the controller first sees it (the seeded metrics).

A workload that never had metrics and has no annotation gets none (its pods stay out of `kubectl top`,
and an HPA on it reports that no metrics were returned, as with a pod metrics-server cannot scrape).
Pods that are not Ready keep what they have. Memory per container stays what the workload's first
seeded metric says (64Mi when it had none). Seeded metrics are a fixed point: a write happens only when a
pod's share changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsbook.sandbox.k8s.controllers.common import Obj, cpu_millis, meta, now_stamp, pod_ready, terminating
from opsbook.sandbox.k8s.store import ClusterStore

POD_METRICS = "pods.metrics.k8s.io"
LOAD = "sandbox.opsbook.io/cpu-load"
DEFAULT_MEMORY = "64Mi"

Key = tuple[str, str, str]  # namespace, kind, name of the workload


@dataclass(frozen=True)
class Load:
    cpu_m: int
    memory: str  # per container


def pod_cpu_m(metrics: Obj) -> int:
    """A PodMetrics' CPU use, summed over its containers (millicores)."""
    return sum(cpu_millis((c.get("usage") or {}).get("cpu")) for c in metrics.get("containers") or [])


def _controller(obj: Obj) -> tuple[str, str] | None:
    ref = next((r for r in meta(obj).get("ownerReferences") or [] if r.get("controller")), None)
    return (ref["kind"], ref["name"]) if ref else None


class MetricsServer:
    def __init__(self) -> None:
        self._loads: dict[Key, Load] = {}  # the load a workload was first seen with

    @staticmethod
    def _workload(
        pod: Obj, sets: dict[tuple[str, str], Obj], deps: dict[tuple[str, str], Obj]
    ) -> tuple[Key, Obj | None]:
        ns = meta(pod)["namespace"]
        owner = _controller(pod)
        if owner is None:
            return (ns, "Pod", meta(pod)["name"]), None
        rs = sets.get((ns, owner[1])) if owner[0] == "ReplicaSet" else None
        top = _controller(rs) if rs is not None else None
        if top is not None and top[0] == "Deployment":
            return (ns, *top), deps.get((ns, top[1]))
        return (ns, *owner), None

    def reconcile(self, store: ClusterStore) -> bool:
        groups: dict[Key, tuple[Obj | None, list[Obj]]] = {}
        sets, deps = ({(meta(o)["namespace"], meta(o)["name"]): o for o in store.list(kind)}
                      for kind in ("replicasets.apps", "deployments.apps"))  # fmt: skip
        for pod in store.list("pods"):
            if (pod.get("status") or {}).get("phase") != "Running" or terminating(pod):
                continue
            key, workload = self._workload(pod, sets, deps)
            groups.setdefault(key, (workload, []))[1].append(pod)
        have = {(meta(m)["namespace"], meta(m)["name"]): m for m in store.list(POD_METRICS)}
        changed = False
        for key, (workload, pods) in groups.items():
            ready = [p for p in pods if pod_ready(p)]
            load = self._load(key, workload, [have.get((key[0], meta(p)["name"])) for p in ready])
            if load is None or not ready:
                continue
            for pod in ready:
                current = have.get((key[0], meta(pod)["name"]))
                want = _metrics(pod, load.cpu_m // len(ready), load.memory)
                if current is None or pod_cpu_m(current) != pod_cpu_m(want):
                    store.put(want)
                    changed = True
        return changed

    def _load(self, key: Key, workload: Obj | None, seen: list[Obj | None]) -> Load | None:
        known = self._loads.get(key)
        if known is None:
            found = [m for m in seen if m is not None]
            if found:
                first = (found[0].get("containers") or [{}])[0]
                memory = (first.get("usage") or {}).get("memory") or DEFAULT_MEMORY
                known = self._loads[key] = Load(sum(pod_cpu_m(m) for m in found), memory)
        text = ((meta(workload).get("annotations") or {}) if workload else {}).get(LOAD)
        if text:
            try:
                return Load(cpu_millis(text), known.memory if known else DEFAULT_MEMORY)
            except ValueError:
                return known  # a malformed annotation is ignored, as a controller ignores a bad hint
        return known


def _metrics(pod: Obj, cpu_m: int, memory: str) -> Obj:
    containers = (pod.get("spec") or {}).get("containers") or [{"name": "app"}]
    each = cpu_m // len(containers)
    m = meta(pod)
    return {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "PodMetrics",
        "metadata": {"name": m["name"], "namespace": m["namespace"], "labels": dict(m.get("labels") or {}),
                     "creationTimestamp": now_stamp()},
        "timestamp": now_stamp(),
        "window": "15s",
        "containers": [{"name": c["name"], "usage": {"cpu": f"{each}m", "memory": memory}} for c in containers],
    }  # fmt: skip
