"""An EKS API and a Kubernetes API in memory, as the eks-upgrade steps read them: enough to unit-test their
re-checks, acts and waits without a server. `FakeEks.finish()` ends the updates in progress the way EKS does
(the version changes, the status goes back to ACTIVE); `FakeApi` holds nodes, pods and budgets as JSON."""

from __future__ import annotations

import itertools
import time
from typing import Any

from opsbook.core.labels import compile_labels

KUBELET = "v{minor}.0-eks-0000000"


class NotFound(Exception):
    pass


class Paginator:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return self.pages


class FakeEks:
    """One cluster `my-cluster` with node groups and add-ons; every write is an update (InProgress)."""

    class exceptions:  # noqa: N801 - boto3's shape: client.exceptions.ResourceNotFoundException
        ResourceNotFoundException = NotFound

    def __init__(self, version: str = "1.32", groups: tuple[str, ...] = ("application", "system")) -> None:
        self.cluster = {"name": "my-cluster", "version": version, "status": "ACTIVE", "arn": "arn:cluster"}
        self.groups = {g: {"nodegroupName": g, "version": version, "releaseVersion": f"{version}.0-1", "status": "ACTIVE",
                           "scalingConfig": {"desiredSize": 2}} for g in groups}  # fmt: skip
        self.addons = {"vpc-cni": {"addonName": "vpc-cni", "addonVersion": "v1.18.0-eksbuild.1", "status": "ACTIVE"},
                       "coredns": {"addonName": "coredns", "addonVersion": "v1.11.4-eksbuild.2", "status": "ACTIVE"}}  # fmt: skip
        self.updates: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self._ids = itertools.count(1)

    # -- reads -----------------------------------------------------------------------------------------
    def describe_cluster(self, name: str) -> dict[str, Any]:
        if name != self.cluster["name"]:
            raise NotFound(name)
        return {"cluster": dict(self.cluster)}

    def describe_nodegroup(self, clusterName: str, nodegroupName: str) -> dict[str, Any]:  # noqa: N803
        return {"nodegroup": dict(self.groups[nodegroupName])}

    def describe_addon(self, clusterName: str, addonName: str) -> dict[str, Any]:  # noqa: N803
        return {"addon": dict(self.addons[addonName])}

    def list_updates(self, name: str, nodegroupName: str = "", addonName: str = "") -> dict[str, Any]:  # noqa: N803
        mine = [
            u
            for u in self.updates
            if u["on"]
            == (nodegroupName and "ng:" + nodegroupName or addonName and "addon:" + addonName or "cluster")
        ]
        return {"updateIds": [u["id"] for u in reversed(mine)]}

    def describe_update(self, name: str, updateId: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        found = next(u for u in self.updates if u["id"] == updateId)
        return {"update": {k: v for k, v in found.items() if k != "on"}}

    def get_paginator(self, operation: str) -> Paginator:
        if operation == "list_nodegroups":
            return Paginator([{"nodegroups": sorted(self.groups)}])
        if operation == "list_addons":
            return Paginator([{"addons": sorted(self.addons)}])
        raise AssertionError(f"no fake for {operation}")

    # -- writes: an InProgress update each ------------------------------------------------------------------
    def _update(self, on: str, kind: str, param: str, value: str) -> dict[str, Any]:
        update = {"id": f"u-{next(self._ids)}", "status": "InProgress", "type": kind, "on": on,
                  "params": [{"type": param, "value": value}], "createdAt": time.time() - 65, "errors": []}  # fmt: skip
        self.updates.append(update)
        return {"update": {k: v for k, v in update.items() if k != "on"}}

    def update_cluster_version(self, name: str, version: str) -> dict[str, Any]:
        self.calls.append(f"UpdateClusterVersion {version}")
        self.cluster["status"] = "UPDATING"
        return self._update("cluster", "VersionUpdate", "Version", version)

    def update_nodegroup_version(self, clusterName: str, nodegroupName: str, version: str) -> dict[str, Any]:  # noqa: N803
        self.calls.append(f"UpdateNodegroupVersion {nodegroupName} {version}")
        self.groups[nodegroupName]["status"] = "UPDATING"
        return self._update("ng:" + nodegroupName, "VersionUpdate", "Version", version)

    def update_addon(
        self, clusterName: str, addonName: str, addonVersion: str, resolveConflicts: str
    ) -> dict[str, Any]:  # noqa: N803
        self.calls.append(f"UpdateAddon {addonName} {addonVersion} {resolveConflicts}")
        self.addons[addonName]["status"] = "UPDATING"
        return self._update("addon:" + addonName, "AddonUpdate", "AddonVersion", addonVersion)

    def finish(self, status: str = "Successful", errors: list[dict[str, Any]] | None = None) -> None:
        """End every InProgress update: Successful applies it; Failed leaves the resource as it was."""
        for u in self.updates:
            if u["status"] != "InProgress":
                continue
            u["status"], u["errors"] = status, errors or []
            value = u["params"][0]["value"]
            target = (self.cluster if u["on"] == "cluster" else self.groups.get(u["on"][3:]) if u["on"].startswith("ng:")
                      else self.addons[u["on"][6:]])  # fmt: skip
            target["status"] = "ACTIVE"
            if status == "Successful":
                target["addonVersion" if u["on"].startswith("addon:") else "version"] = value


def node(name: str, group: str, minor: str, ready: bool = True, cordoned: bool = False) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"eks.amazonaws.com/nodegroup": group}},
            "spec": {"unschedulable": cordoned},
            "status": {"nodeInfo": {"kubeletVersion": KUBELET.format(minor=minor)},
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}  # fmt: skip


def pod(ns: str, name: str, node_name: str, labels: dict[str, str], phase: str = "Running", ready: bool = True,
        waiting: str | None = None) -> dict[str, Any]:  # fmt: skip
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {"metadata": {"namespace": ns, "name": name, "labels": labels},
            "spec": {"nodeName": node_name, "containers": [{"name": "app", "image": "app:1"}]},
            "status": {"phase": phase, "containerStatuses": [{"name": "app", "ready": ready, "state": state}]}}  # fmt: skip


def pdb(
    ns: str, name: str, selector: dict[str, Any] | None, allowed: int, min_available: int = 2
) -> dict[str, Any]:
    return {"metadata": {"namespace": ns, "name": name}, "spec": {"selector": selector, "minAvailable": min_available},
            "status": {"disruptionsAllowed": allowed, "currentHealthy": min_available, "desiredHealthy": min_available}}  # fmt: skip


class FakeApi:
    """`list_items(path, label_selector=)` over nodes, pods, PodDisruptionBudgets, ReplicaSets, Deployments."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.pods: list[dict[str, Any]] = []
        self.pdbs: list[dict[str, Any]] = []
        self.replicasets: list[dict[str, Any]] = []
        self.deployments: list[dict[str, Any]] = []

    def list_items(self, path: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        items = {"/api/v1/nodes": self.nodes, "/api/v1/pods": self.pods,
                 "/apis/policy/v1/poddisruptionbudgets": self.pdbs, "/apis/apps/v1/replicasets": self.replicasets,
                 "/apis/apps/v1/deployments": self.deployments}[path]  # fmt: skip
        if label_selector:
            match = compile_labels(label_selector)
            items = [i for i in items if match(i["metadata"].get("labels") or {})]
        return list(items)

    def group(self, group: str, minor: str, count: int = 2, **kw: Any) -> None:
        """Replace `group`'s nodes with `count` nodes at `minor`."""
        self.nodes = [
            n for n in self.nodes if n["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] != group
        ]
        self.nodes += [node(f"{group}-{minor}-{i}", group, minor, **kw) for i in range(count)]
