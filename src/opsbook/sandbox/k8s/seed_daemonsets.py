"""The EKS node agents every node runs: the `aws-node` (VPC CNI) and `kube-proxy` DaemonSets in kube-system,
with one pod on each node, as the daemonsets controller (`controllers/daemonsets.py`) keeps them.

They are seeded with their pods already running, so the controllers have nothing to do (a fixed point):
the pod on the NotReady node stays (Running, not ready), as a real DaemonSet's pod does on a node that
went NotReady. Their small requests and limits keep every check's findings as seeded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.k8s.controllers.common import suffix, template_hash
from opsbook.sandbox.k8s.seed_workloads import (
    NODE_BUSY,
    NODE_CORDONED,
    NODE_HEALTHY_APP,
    NODE_HEALTHY_SYSTEM,
    NODE_MEMORY_PRESSURE,
    NODE_NOT_READY,
    _owner,
    container_status,
    meta,
    pod,
    uid_of,
)

Obj = dict[str, Any]
NODES = (
    NODE_HEALTHY_SYSTEM,
    NODE_HEALTHY_APP,
    NODE_NOT_READY,
    NODE_MEMORY_PRESSURE,
    NODE_CORDONED,
    NODE_BUSY,
)
AGENTS = (
    ("aws-node", "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1", "25m"),
    ("kube-proxy", "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.32.0-minimal-eksbuild.2",
     "100m"),
)  # fmt: skip
AGE = timedelta(days=30)


def daemonsets(now: datetime) -> list[Obj]:
    objs: list[Obj] = []
    for name, image, cpu in AGENTS:
        resources = {"requests": {"cpu": cpu, "memory": "32Mi"}, "limits": {"cpu": cpu, "memory": "64Mi"}}
        labels = {"k8s-app": name}
        template = {"metadata": {"labels": labels},
                    "spec": {"containers": [{"name": name, "image": image, "resources": resources}],
                             "hostNetwork": True, "priorityClassName": "system-node-critical"}}  # fmt: skip
        revision = template_hash(template)
        pod_labels = {**labels, "controller-revision-hash": revision, "pod-template-generation": "1"}
        ready = len(NODES) - 1
        objs.append({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": meta(name, "kube-system", now, 400 * timedelta(days=1), labels=labels, uid=uid_of(name),
                             generation=1),
            "spec": {"selector": {"matchLabels": labels}, "template": template,
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}}},
            "status": {"desiredNumberScheduled": len(NODES), "currentNumberScheduled": len(NODES),
                       "numberReady": ready, "numberAvailable": ready, "numberUnavailable": 1,
                       "updatedNumberScheduled": len(NODES), "numberMisscheduled": 0, "observedGeneration": 1},
        })  # fmt: skip
        for node in NODES:
            octets = node.split(".")[0].removeprefix("ip-").replace("-", ".")
            status = container_status(name, image, now, AGE, ready=node != NODE_NOT_READY)
            objs.append(pod(now, "kube-system", f"{name}-{suffix(name + node)}", pod_labels, node, image,
                            octets, AGE, resources, status=status, owner=_owner("DaemonSet", name),
                            container=name))  # fmt: skip
    return objs
