"""An EKS managed node group as the fake cluster sees it: the Nodes labelled
`eks.amazonaws.com/nodegroup=<group>`.

Scaling out registers new nodes NotReady (`KubeletNotReady`, tainted `node.kubernetes.io/not-ready`,
annotated BOOTING); the node boot controller (controllers/nodeboot.py) makes them Ready after the kubelet
delay. Scaling in picks the newest nodes (so scaling out and back leaves the seeded nodes alone), cordons
them and evicts their pods at once (their controllers re-create them elsewhere), and deletes the nodes when
the node group's update completes, as EKS drains nodes before it terminates their instances.
The AWS side never calls this: sandbox/nodegroups.py connects the two.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from opsbook.sandbox.k8s.controllers.common import Obj
from opsbook.sandbox.k8s.controllers.nodeboot import BOOTING, NOT_READY_TAINT
from opsbook.sandbox.k8s.seed import node
from opsbook.sandbox.k8s.store import MERGE_PATCH, ClusterStore

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
LEAVING = "sandbox.opsbook.io/leaving"  # a node drained for scale-in, deleted when the update completes
ZONE_SUBNETS = {"a": 1, "b": 2, "c": 3}  # zone letter -> the third octet of its nodes' addresses


def _notes(obj: Obj) -> dict[str, str]:
    return dict(obj["metadata"].get("annotations") or {})


def members(store: ClusterStore, group: str) -> list[Obj]:
    """The group's nodes that are staying (not drained for scale-in), newest first."""
    nodes = store.list("nodes", label_selector_text=f"{NODEGROUP_LABEL}={group}")
    staying = [n for n in nodes if LEAVING not in _notes(n)]
    return sorted(
        staying, key=lambda n: (n["metadata"]["creationTimestamp"], n["metadata"]["name"]), reverse=True
    )


def _free_name(store: ClusterStore, zone: str) -> str:
    taken = {n["metadata"]["name"] for n in store.list("nodes")}
    third = ZONE_SUBNETS.get(zone[-1:], 4)
    host = 100
    while f"ip-10-0-{third}-{host}.ec2.internal" in taken:
        host += 1
    return f"ip-10-0-{third}-{host}.ec2.internal"


def booting_node(name: str, group: str, zone: str, instance_type: str, now: datetime,
                 kubelet: str | None = None, labels: dict[str, str] | None = None) -> Obj:  # fmt: skip
    """A node that just registered: its kubelet posts NotReady until the network plugin is up. `kubelet`:
    its kubelet's (and kube-proxy's) version, the seeded nodes' unless given."""
    obj = node(now, name, group, zone, age=timedelta(0))
    obj["metadata"]["labels"]["node.kubernetes.io/instance-type"] = instance_type
    obj["metadata"]["labels"].update(labels or {})
    if kubelet:
        obj["status"]["nodeInfo"].update(kubeletVersion=kubelet, kubeProxyVersion=kubelet)
    obj["metadata"]["annotations"] = {BOOTING: "true"}
    obj["spec"]["providerID"] = f"aws:///{zone}/i-0{uuid.uuid4().hex[:16]}"
    obj["spec"]["taints"] = [{"key": NOT_READY_TAINT, "effect": "NoSchedule"}]
    for c in obj["status"]["conditions"]:
        if c["type"] == "Ready":
            c.update(status="False", reason="KubeletNotReady",
                     message="container runtime network not ready: NetworkReady=false "
                     "reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized")  # fmt: skip
    return obj


def add(store: ClusterStore, group: str, count: int, instance_type: str, zones: list[str],
        kubelet: str | None = None, labels: dict[str, str] | None = None) -> list[str]:  # fmt: skip
    """Register `count` new nodes of `group`, spread over `zones`, running `kubelet`."""
    now = datetime.now(UTC)
    names = []
    for i in range(count):
        zone = zones[i % len(zones)] if zones else "us-east-1a"
        name = _free_name(store, zone)
        store.create(booting_node(name, group, zone, instance_type, now, kubelet, labels))
        names.append(name)
    return names


def drain(store: ClusterStore, group: str, count: int) -> list[str]:
    """Cordon the `count` newest nodes of `group`, mark them leaving and evict every pod on them."""
    names = []
    for victim in members(store, group)[: max(count, 0)]:
        name = victim["metadata"]["name"]
        notes = _notes(victim) | {LEAVING: "true"}
        store.patch("nodes", name, {"metadata": {"annotations": notes}, "spec": {"unschedulable": True}},
                    MERGE_PATCH)  # fmt: skip
        for pod in store.list("pods", field_selector_text=f"spec.nodeName={name}"):
            store.delete("pods", pod["metadata"]["name"], pod["metadata"]["namespace"])
        names.append(name)
    return names


def remove(store: ClusterStore, name: str) -> None:
    """Delete a node whose instance was terminated, with the pods still bound to it (DaemonSets')."""
    for pod in store.list("pods", field_selector_text=f"spec.nodeName={name}"):
        store.delete("pods", pod["metadata"]["name"], pod["metadata"]["namespace"])
    store.delete("nodes", name)


def remove_leaving(store: ClusterStore, group: str) -> list[str]:
    """Delete the drained nodes of `group` (their instances are terminated)."""
    gone = []
    for n in store.list("nodes", label_selector_text=f"{NODEGROUP_LABEL}={group}"):
        if LEAVING in _notes(n):
            remove(store, n["metadata"]["name"])
            gone.append(n["metadata"]["name"])
    return gone


def scale_to(store: ClusterStore, group: str, desired: int, instance_type: str, zones: list[str],
             kubelet: str | None = None, labels: dict[str, str] | None = None) -> None:  # fmt: skip
    """The update completed: drained nodes are gone and the group has `desired` nodes (new ones at `kubelet`,
    with `labels`: the group's AMI)."""
    remove_leaving(store, group)
    have = len(members(store, group))
    if have < desired:
        add(store, group, desired - have, instance_type, zones, kubelet, labels)
    elif have > desired:
        drain(store, group, have - desired)
        remove_leaving(store, group)
