"""Node boot: a node registered by a node group scaling out (annotated BOOTING) turns Ready `ready_seconds`
after the controller first saw it: the kubelet posts `KubeletReady`, the `node.kubernetes.io/not-ready`
taint goes and the annotation with it. Seeded nodes (a NotReady node among them) are never touched."""

from __future__ import annotations

import time
from collections.abc import Callable

from opsbook.sandbox.k8s.controllers.common import Obj, meta, notes_of, now_stamp
from opsbook.sandbox.k8s.store import ClusterStore

BOOTING = "sandbox.opsbook.io/booting"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"


class NodeBoot:
    def __init__(self, ready_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ready_seconds = ready_seconds
        self.clock = clock
        self._seen: dict[str, float] = {}  # node uid -> when first seen booting

    def reconcile(self, store: ClusterStore) -> bool:
        changed = False
        live: set[str] = set()
        for node in store.list("nodes"):
            if notes_of(node).get(BOOTING) != "true":
                continue
            uid = meta(node)["uid"]
            live.add(uid)
            if self.clock() - self._seen.setdefault(uid, self.clock()) < self.ready_seconds:
                continue
            ready = self._ready(node)
            name = meta(node)["name"]
            written = store.replace("nodes", name, ready)  # annotation and taint, then the kubelet's status
            store.replace("nodes", name, {**written, "status": ready["status"]}, subresource="status")
            changed = True
        self._seen = {uid: t for uid, t in self._seen.items() if uid in live}
        return changed

    @staticmethod
    def _ready(node: Obj) -> Obj:
        stamp = now_stamp()
        notes = {k: v for k, v in notes_of(node).items() if k != BOOTING}
        meta(node)["annotations"] = notes
        spec = node.setdefault("spec", {})
        spec["taints"] = [t for t in spec.get("taints") or [] if t.get("key") != NOT_READY_TAINT]
        if not spec["taints"]:
            del spec["taints"]
        for c in (node.get("status") or {}).get("conditions") or []:
            c["lastHeartbeatTime"] = stamp
            if c.get("type") == "Ready":
                c.update(status="True", reason="KubeletReady", message="kubelet is posting ready status",
                         lastTransitionTime=stamp)  # fmt: skip
        return node
