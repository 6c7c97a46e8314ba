"""A managed node group's version update as EKS runs it against the cluster (EKS user guide, "Managed node
update behavior"), on the fake cluster's Nodes of the group (`eks.amazonaws.com/nodegroup=<group>`).

1. Scale up: of the new nodes the group needs (its desired size, less the nodes already on the new AMI from
   a previous, failed update), launch up to 2 x the old nodes' zones at once, in their zones, at the new
   kubelet and labelled with the new AMI (`eks.amazonaws.com/nodegroup-image`), and wait until they are
   Ready (the node boot controller's delay).
2. Upgrade: taint every old node `eks.amazonaws.com/nodegroup=unschedulable:NoSchedule`; then one at a time,
   evict its pods through the eviction subresource's own path (controllers/eviction.py: a PodDisruptionBudget
   with no disruption left refuses, as it would `kubectl drain`; DaemonSet pods stay, as drain leaves them),
   retrying every `tick` for up to `drain_timeout` seconds; once empty, cordon it and terminate it (the node
   and its DaemonSet pods go) and launch the next new node the group still needs. At the end the group has
   its desired size, all on the new AMI (EKS's scale-down phase has nothing left to remove).
3. A node whose pods did not leave in time: with `force` they are deleted (as EKS does); without, the update
   stops there and reports the node. The old nodes left lose the taint and keep running; the new nodes stay.
The AWS side never calls this: sandbox/nodegroups.py runs it on a thread and reports the result back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from opsbook.sandbox.k8s import errors, nodegroups
from opsbook.sandbox.k8s.controllers.common import Obj, meta
from opsbook.sandbox.k8s.controllers.eviction import evict
from opsbook.sandbox.k8s.controllers.scheduler import node_ready
from opsbook.sandbox.k8s.store import MERGE_PATCH, ClusterStore

IMAGE_LABEL = "eks.amazonaws.com/nodegroup-image"
ZONE_LABEL = "topology.kubernetes.io/zone"
UPGRADE_TAINT = {"key": "eks.amazonaws.com/nodegroup", "value": "unschedulable", "effect": "NoSchedule"}


class Stopped(Exception):
    """The sandbox stopped while the update ran: it ends where it is, reporting nothing."""


@dataclass
class RollingUpdate:
    store: ClusterStore
    group: str
    image: str  # the new AMI: nodes labelled with it are up to date
    kubelet: str  # the new nodes' kubelet version
    instance_type: str
    desired: int  # the node group's desired size
    drain_timeout: float
    force: bool = False
    stop: threading.Event = field(default_factory=threading.Event)
    tick: float = 0.1
    clock: Callable[[], float] = time.monotonic

    def run(self) -> list[str]:
        """Replace the group's old nodes; the nodes that could not be drained ([]: all replaced)."""
        members = nodegroups.members(self.store, self.group)
        old = sorted(
            (n for n in members if _labels(n).get(IMAGE_LABEL) != self.image), key=lambda n: meta(n)["name"]
        )
        if not old:
            return []
        zones = [_labels(n).get(ZONE_LABEL, "us-east-1a") for n in old]
        need = max(self.desired - (len(members) - len(old)), 0)  # new nodes still to launch
        launched = min(need, 2 * len(set(zones)))
        self._launch([zones[k % len(zones)] for k in range(launched)])
        names = [meta(n)["name"] for n in old]
        for name in names:
            self._taint(name, True)
        for i, name in enumerate(names):
            if not self._drain(name):
                if not self.force:
                    for left in names[i:]:
                        self._taint(left, False)
                    return [name]
                for pod in self._evictable(name):
                    self.store.delete("pods", meta(pod)["name"], meta(pod)["namespace"])
            self.store.patch("nodes", name, {"spec": {"unschedulable": True}}, MERGE_PATCH)
            nodegroups.remove(self.store, name)
            if launched < need:
                self._launch([zones[launched % len(zones)]])
                launched += 1
        return []

    def _launch(self, zones: list[str]) -> None:
        new = [
            nodegroups.add(self.store, self.group, 1, self.instance_type, [zone], self.kubelet,
                           {IMAGE_LABEL: self.image})[0]
            for zone in zones
        ]  # fmt: skip
        self._wait(lambda: all(node_ready(self.store.get("nodes", name)) for name in new))

    def _taint(self, name: str, on: bool) -> None:
        node = self.store.get("nodes", name)
        taints = [
            t for t in (node.get("spec") or {}).get("taints") or [] if t.get("key") != UPGRADE_TAINT["key"]
        ]
        self.store.patch("nodes", name, {"spec": {"taints": [*taints, UPGRADE_TAINT] if on else taints}},
                         MERGE_PATCH)  # fmt: skip

    def _evictable(self, name: str) -> list[Obj]:
        pods = self.store.list("pods", field_selector_text=f"spec.nodeName={name}")
        return [
            p
            for p in pods
            if not any(o.get("kind") == "DaemonSet" for o in meta(p).get("ownerReferences") or [])
        ]

    def _drain(self, name: str) -> bool:
        """Evict the node's pods until none is left (True) or `drain_timeout` passed (False)."""
        deadline = self.clock() + self.drain_timeout
        while True:
            for pod in self._evictable(name):
                try:
                    evict(self.store, meta(pod)["namespace"], meta(pod)["name"], None, False)
                except errors.ApiError:
                    pass  # 429: a disruption budget says not now; 404: gone meanwhile
            if not self._evictable(name):
                return True
            if self.clock() >= deadline:
                return False
            self._pause()

    def _wait(self, done: Callable[[], bool]) -> None:
        while not done():
            self._pause()

    def _pause(self) -> None:
        if self.stop.wait(self.tick):
            raise Stopped


def _labels(node: Obj) -> dict[str, str]:
    return dict(meta(node).get("labels") or {})
