"""Scheduler: bind each Pending pod without a node to the Ready, schedulable node with the most free CPU
that fits its requests (CPU, memory, pod count), its nodeSelector and its tolerations. A pod that fits
nowhere stays Pending with `PodScheduled=False, Unschedulable` and the reasons, as `kubectl describe`
shows them; it is retried on every tick. Pods annotated `sandbox.opsbook.io/hold: "true"` are left alone.
"""

from __future__ import annotations

from collections import Counter

from opsbook.sandbox.k8s.controllers.common import (
    Obj,
    cpu_millis,
    held,
    mark_bound,
    memory_bytes,
    meta,
    set_condition,
)
from opsbook.sandbox.k8s.store import ClusterStore

FINISHED = ("Succeeded", "Failed")


def requests(pod: Obj) -> tuple[int, int]:
    cpu = mem = 0
    for container in (pod.get("spec") or {}).get("containers") or []:
        wanted = (container.get("resources") or {}).get("requests") or {}
        cpu += cpu_millis(wanted.get("cpu"))
        mem += memory_bytes(wanted.get("memory"))
    return cpu, mem


def node_ready(node: Obj) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _tolerated(taint: Obj, pod: Obj) -> bool:
    for toleration in (pod.get("spec") or {}).get("tolerations") or []:
        key_ok = toleration.get("operator") == "Exists" and not toleration.get("key")
        key_ok = key_ok or toleration.get("key") == taint.get("key")
        effect_ok = not toleration.get("effect") or toleration.get("effect") == taint.get("effect")
        if key_ok and effect_ok:
            return True
    return False


def why_not(node: Obj, pod: Obj, used: dict[str, tuple[int, int, int]]) -> str | None:
    """None when `pod` fits on `node`, else the reason the scheduler reports."""
    spec, status = node.get("spec") or {}, node.get("status") or {}
    taints = [t for t in spec.get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]
    if spec.get("unschedulable") and not _tolerated({"key": "node.kubernetes.io/unschedulable",
                                                     "effect": "NoSchedule"}, pod):  # fmt: skip
        return "node(s) were unschedulable"
    for taint in taints:
        if not _tolerated(taint, pod):
            return f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value', '')}}}"
    if not node_ready(node):
        return "node(s) were not ready"
    labels = meta(node).get("labels") or {}
    if any(labels.get(k) != v for k, v in ((pod.get("spec") or {}).get("nodeSelector") or {}).items()):
        return "node(s) didn't match Pod's node affinity/selector"
    allocatable = status.get("allocatable") or {}
    cpu, mem, count = used.get(meta(node)["name"], (0, 0, 0))
    want_cpu, want_mem = requests(pod)
    if count + 1 > int(allocatable.get("pods", 110)):
        return "Too many pods"
    if cpu + want_cpu > cpu_millis(allocatable.get("cpu")):
        return "Insufficient cpu"
    if mem + want_mem > memory_bytes(allocatable.get("memory")):
        return "Insufficient memory"
    return None


def usage(pods: list[Obj]) -> dict[str, tuple[int, int, int]]:
    """CPU millis, memory bytes and pod count requested on each node by its unfinished pods."""
    used: dict[str, tuple[int, int, int]] = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node and (pod.get("status") or {}).get("phase") not in FINISHED:
            cpu, mem = requests(pod)
            before = used.get(node, (0, 0, 0))
            used[node] = (before[0] + cpu, before[1] + mem, before[2] + 1)
    return used


def reconcile(store: ClusterStore) -> bool:
    pods = store.list("pods")
    waiting = [p for p in pods if not (p.get("spec") or {}).get("nodeName") and not held(p)
               and (p.get("status") or {}).get("phase", "Pending") == "Pending"]  # fmt: skip
    if not waiting:
        return False
    nodes = store.list("nodes")
    used = usage(pods)
    changed = False
    for pod in waiting:
        reasons: Counter[str] = Counter()
        fits = []
        for node in nodes:
            reason = why_not(node, pod, used)
            if reason is None:
                fits.append(node)
            else:
                reasons[reason] += 1
        status = pod.setdefault("status", {})
        if fits:
            name = meta(max(fits, key=lambda n: _free_cpu(n, used)))["name"]
            pod["spec"]["nodeName"] = name
            cpu, mem = requests(pod)
            before = used.get(name, (0, 0, 0))
            used[name] = (before[0] + cpu, before[1] + mem, before[2] + 1)
            mark_bound(pod)
            status = pod["status"]
            store.replace("pods", meta(pod)["name"], pod, meta(pod)["namespace"])
            store.replace("pods", meta(pod)["name"], {**store.get("pods", meta(pod)["name"], meta(pod)["namespace"]),
                                                      "status": status}, meta(pod)["namespace"], "status")  # fmt: skip
            changed = True
            continue
        detail = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
        message = f"0/{len(nodes)} nodes are available: {detail}."
        previous = [dict(c) for c in status.get("conditions") or []]
        set_condition(status, "PodScheduled", "False", "Unschedulable", message)
        if previous != status["conditions"]:
            store.replace("pods", meta(pod)["name"], pod, meta(pod)["namespace"], "status")
            changed = True
    return changed


def _free_cpu(node: Obj, used: dict[str, tuple[int, int, int]]) -> tuple[int, str]:
    allocatable = cpu_millis(((node.get("status") or {}).get("allocatable") or {}).get("cpu"))
    return allocatable - used.get(meta(node)["name"], (0, 0, 0))[0], meta(node)["name"]
