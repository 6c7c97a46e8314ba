"""Where the sandbox's two halves meet for EKS node groups: the AWS side emits a node group's update
(sandbox/aws/services/eks.py), and the fake Kubernetes cluster of that EKS cluster gains or loses the group's
Nodes (sandbox/k8s/nodegroups.py). Neither half imports the other; the Sandbox subscribes a bridge.

`eks.nodegroup.updating`: nodes beyond the new desired size are drained at once (cordoned, pods evicted);
`eks.nodegroup.updated`: the drained nodes are deleted and new ones register (Ready after the kubelet delay).
"""

from __future__ import annotations

import logging
from typing import Any

from opsbook.sandbox.k8s import nodegroups
from opsbook.sandbox.k8s.store import ClusterStore

log = logging.getLogger(__name__)


class NodegroupBridge:
    """Follows the node groups of one EKS cluster (account id, region, name) into its fake cluster's store."""

    def __init__(self, store: ClusterStore, account_id: str, region: str, cluster: str) -> None:
        self.store = store
        self.where = (account_id, region, cluster)

    def __call__(self, event: str, detail: dict[str, Any]) -> None:
        if (detail.get("account_id"), detail.get("region"), detail.get("cluster")) != self.where:
            return
        group, desired = detail["nodegroup"], int(detail["new"]["desiredSize"])
        try:
            if event == "eks.nodegroup.updating":
                surplus = len(nodegroups.members(self.store, group)) - desired
                nodegroups.drain(self.store, group, surplus)
            elif event == "eks.nodegroup.updated":
                nodegroups.scale_to(self.store, group, desired, detail["instance_type"], detail["zones"])
        except Exception:  # the AWS answer must not fail because the fake cluster did
            log.exception("sandbox: following %s of node group %s failed", event, group)
