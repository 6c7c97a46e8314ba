"""Where the sandbox's two halves meet for EKS: the AWS side emits what changed in an EKS cluster
(sandbox/aws/services/eks*.py), and the fake Kubernetes cluster of that EKS cluster follows
(sandbox/k8s/nodegroups.py). Neither half imports the other; the Sandbox subscribes a bridge.

`eks.nodegroup.updating`: nodes beyond the new desired size are drained at once (cordoned, pods evicted);
`eks.nodegroup.updated`: the drained nodes are deleted and new ones register (Ready after the kubelet delay);
`eks.cluster.updated`: the API server reports the control plane's new version (/version).
"""

from __future__ import annotations

import logging
from typing import Any

from opsbook.sandbox.k8s import nodegroups
from opsbook.sandbox.k8s.store import ClusterStore

log = logging.getLogger(__name__)


class EksBridge:
    """Follows one EKS cluster (account id, region, name) into its fake cluster's store."""

    def __init__(self, store: ClusterStore, account_id: str, region: str, cluster: str) -> None:
        self.store = store
        self.where = (account_id, region, cluster)

    def __call__(self, event: str, detail: dict[str, Any]) -> bool:
        if (detail.get("account_id"), detail.get("region"), detail.get("cluster")) != self.where:
            return False
        try:
            if event == "eks.cluster.updated":
                self.store.server_version = detail["patch"]
            elif event in ("eks.nodegroup.updating", "eks.nodegroup.updated"):
                self._scale(event, detail)
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
            nodegroups.scale_to(self.store, group, desired, detail["instance_type"], detail["zones"],
                                detail.get("kubelet_version"))  # fmt: skip

    def stop(self) -> None:
        """Nothing runs on its own yet."""
