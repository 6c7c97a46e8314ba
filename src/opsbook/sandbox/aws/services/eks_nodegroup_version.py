"""UpdateNodegroupVersion as EKS does it (moto has no such operation): an `InProgress` VersionUpdate, the
node group UPDATING, and at the end the node group ACTIVE at the new `version` / `releaseVersion` with the
update `Successful`, or back ACTIVE at the old ones with the update `Failed`.

Body: `version` (default: the cluster's), `releaseVersion` (default: that version's AMI release), `force`.
Refused (InvalidParameterException unless said): an unknown cluster or node group (ResourceNotFound); a node
group mid-update (ResourceInUseException, 409); a version EKS does not offer, newer than the control plane or
older than the node group's; a release that is not the version's ("Requested release version X is not valid
for kubernetes version Y.", EKS's wording); nothing to change. Where EKS's exact wording is not known the
message is the sandbox's own.

Where the cluster has a fake Kubernetes cluster behind it, the rolling replacement runs there: the update is
emitted as `eks.nodegroup.upgrading` (nodegroup, version, release_version, kubelet_version, image, force,
drain_timeout, instance_type, zones, desired and a `finish(undrained)` callback) and the listener that takes it over
(sandbox/nodegroups.py) calls `finish` when the nodes are replaced ([]) or when draining a node outlasted
`data.delays["eks.nodegroup_drain_timeout"]` without `force` (the nodes it could not drain): the update then
fails with EKS's `PodEvictionFailure` ("Reached max retries while trying to evict pods from nodes in node
group <ng>", the nodes as resourceIds). Without a fake cluster (dev, staging) the node group simply moves to
the new version `data.delays["eks.nodegroup_update"]` seconds later.
"""

from __future__ import annotations

from typing import Any

from opsbook.sandbox.aws import eks_state
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.eks_state import cluster_of, minor, nodegroup_of, parts, zones
from opsbook.sandbox.aws.wire import Call, Response, json_response, rest_json_error
from opsbook.sandbox.estate import RELEASES

SERVICE = "eks"


def _bad(message: str) -> Response:
    return rest_json_error("InvalidParameterException", message, 400)


def refusal(cluster: Any, ng: Any, want: str, release: str) -> Response | None:
    name = ng.nodegroup_name
    if ng.status not in ("ACTIVE", "DEGRADED"):
        return rest_json_error(
            "ResourceInUseException", f"Nodegroup {name} is in {ng.status} state and cannot be updated", 409
        )
    if want not in RELEASES:
        return _bad(f"Requested Kubernetes version {want} is not supported")
    if minor(want) > minor(cluster.version):
        return _bad(
            f"Requested Kubernetes version {want} is newer than the cluster's version {cluster.version}"
        )
    if minor(want) < minor(ng.version):
        return _bad(
            f"Requested Kubernetes version {want} is older than the node group's version {ng.version}"
        )
    if release != RELEASES[want].release:
        return _bad(f"Requested release version {release} is not valid for kubernetes version {want}.")
    if (want, release) == (ng.version, ng.release_version):
        return _bad(f"Nodegroup {name} is already at version {want} and release version {release}")
    return None


def update_nodegroup_version(call: Call, data: SandboxData) -> Response:
    path = parts(call)  # clusters/{name}/node-groups/{nodegroupName}/update-version
    cluster_name, name = path[1], path[3]
    ng, error = nodegroup_of(call, cluster_name, name)
    if error is not None:
        return error
    cluster, _ = cluster_of(call, cluster_name)
    body = call.json()
    if body.get("launchTemplate"):
        return _bad("the sandbox's EKS does not update node groups from launch templates")
    want = str(body.get("version") or cluster.version)
    release = str(body.get("releaseVersion") or (RELEASES[want].release if want in RELEASES else ""))
    refused = refusal(cluster, ng, want, release)
    if refused is not None:
        return refused
    update = eks_state.new_update("VersionUpdate", [("Version", want), ("ReleaseVersion", release)])
    eks_state.remember(data, call.account_id, call.region, cluster_name, update, nodegroup=name)
    old_status, ng.status = ng.status, "UPDATING"

    def finish(undrained: list[str] | None) -> None:
        """[]: every node replaced; node names: those EKS could not drain; None: it failed otherwise."""
        if undrained == []:
            ng.version, ng.release_version = want, release
        ng.status = "DEGRADED" if old_status == "DEGRADED" and (ng.health or {}).get("issues") else "ACTIVE"
        errors = None if undrained == [] else [failure(name, undrained)]
        eks_state.settle(data, update, errors)

    event = {
        "account_id": call.account_id, "region": call.region, "cluster": cluster_name, "nodegroup": name,
        "version": want, "release_version": release, "kubelet_version": RELEASES[want].kubelet,
        "image": RELEASES[want].image, "force": bool(body.get("force")),
        "drain_timeout": data.delays["eks.nodegroup_drain_timeout"],
        "instance_type": (ng.instance_types or ["t3.medium"])[0], "zones": zones(call, list(ng.subnets)),
        "desired": int(ng.scaling_config.get("desiredSize", 0)), "finish": finish,
    }  # fmt: skip
    if not data.emit("eks.nodegroup.upgrading", event):
        data.later(data.delays["eks.nodegroup_update"], lambda: finish([]))
    return json_response({"update": update})


def failure(nodegroup: str, undrained: list[str] | None) -> dict[str, Any]:
    """EKS's error detail of a failed node group version update."""
    if undrained:
        return {
            "errorCode": "PodEvictionFailure",
            "errorMessage": f"Reached max retries while trying to evict pods from nodes in node group {nodegroup}",
            "resourceIds": list(undrained),
        }
    return {
        "errorCode": "Unknown",
        "errorMessage": f"Node group {nodegroup} could not be updated",
        "resourceIds": [],
    }


HANDLERS = {"UpdateNodegroupVersion": update_nodegroup_version}
