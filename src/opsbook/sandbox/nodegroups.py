"""Where the sandbox's two halves meet for EKS: the AWS side emits what changed in an EKS cluster
(sandbox/aws/services/eks*.py), and the fake Kubernetes cluster of that EKS cluster follows
(sandbox/k8s/nodegroups.py). Neither half imports the other; the Sandbox subscribes a bridge.

`eks.nodegroup.updating`: nodes beyond the new desired size are drained at once (cordoned, pods evicted);
`eks.nodegroup.updated`: the drained nodes are deleted and new ones register (Ready after the kubelet delay);
`eks.cluster.updated`: the API server reports the control plane's new version (/version);
`eks.nodegroup.upgrading`: a node group's version update is taken over (the listener answers True): its
rolling replacement (sandbox/k8s/nodegroup_upgrade.py) runs on a thread of its own and reports the nodes it
could not drain, or none, through the event's `finish`. `stop()` ends what still runs (the sandbox stopping).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from opsbook.sandbox.k8s import nodegroups
from opsbook.sandbox.k8s.nodegroup_upgrade import IMAGE_LABEL, RollingUpdate, Stopped
from opsbook.sandbox.k8s.store import ClusterStore

log = logging.getLogger(__name__)


class EksBridge:
    """Follows one EKS cluster (account id, region, name) into its fake cluster's store."""

    def __init__(self, store: ClusterStore, account_id: str, region: str, cluster: str) -> None:
        self.store = store
        self.where = (account_id, region, cluster)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __call__(self, event: str, detail: dict[str, Any]) -> bool:
        if (detail.get("account_id"), detail.get("region"), detail.get("cluster")) != self.where:
            return False
        try:
            if event == "eks.cluster.updated":
                self.store.server_version = detail["patch"]
            elif event in ("eks.nodegroup.updating", "eks.nodegroup.updated"):
                self._scale(event, detail)
            elif event == "eks.nodegroup.upgrading":
                return self._upgrade(detail)
        except Exception:  # the AWS answer must not fail because the fake cluster did
            log.exception(
                "sandbox: following %s of %s failed", event, detail.get("nodegroup") or "the cluster"
            )
        return False

    def _scale(self, event: str, detail: dict[str, Any]) -> None:
        group, desired = detail["nodegroup"], int(detail["new"]["desiredSize"])
        if event == "eks.nodegroup.updating":
            surplus = len(nodegroups.members(self.store, group)) - desired
            nodegroups.drain(self.store, group, surplus)
        else:
            image = {IMAGE_LABEL: detail["image"]} if detail.get("image") else None
            nodegroups.scale_to(self.store, group, desired, detail["instance_type"], detail["zones"],
                                detail.get("kubelet_version"), image)  # fmt: skip

    def _upgrade(self, detail: dict[str, Any]) -> bool:
        update = RollingUpdate(
            self.store, detail["nodegroup"], detail["image"], detail["kubelet_version"], detail["instance_type"],
            detail["desired"], detail["drain_timeout"], force=detail["force"], stop=self._stop,
        )  # fmt: skip

        def run() -> None:
            try:
                undrained: list[str] | None = update.run()
            except Stopped:
                return
            except Exception:  # reported as EKS would: the update failed
                log.exception("sandbox: the version update of node group %s failed", detail["nodegroup"])
                undrained = None
            detail["finish"](undrained)

        thread = threading.Thread(target=run, name=f"sandbox-upgrade-{detail['nodegroup']}", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return True

    def stop(self) -> None:
        """End the rolling updates still running, where they are."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
