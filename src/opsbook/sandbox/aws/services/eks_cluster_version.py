"""UpdateClusterVersion as EKS does it (moto has no such operation): refused for what EKS refuses, else an
`InProgress` VersionUpdate, the cluster UPDATING, and `data.delays["eks.cluster_update"]` seconds later the
cluster ACTIVE at the new version and its platform version, the update `Successful`.

EKS's refusals, in the order it checks them (wording from EKS's own answers):
- an unknown cluster: ResourceNotFoundException;
- a version EKS does not offer (estate.RELEASES): InvalidParameterException "unsupported Kubernetes version";
- anything but the next minor (the same, older, or two ahead): InvalidParameterException "Unsupported
  Kubernetes minor version update from 1.32 to 1.34";
- an update of the cluster still in progress: ResourceInUseException (409) "Cannot VersionUpdate because
  cluster my-cluster currently has update <id> in progress"; a cluster not ACTIVE otherwise, the same
  exception naming its status;
- a managed node group not at the cluster's version: InvalidParameterException "Nodegroups application must
  be updated to match cluster version 1.32 before updating cluster version";
- upgrade readiness (EKS's upgrade insights) unless `force`: an installed add-on with no version
  compatibility with the target, or kube-proxy outside the skew policy (eks_addons.readiness_problems):
  InvalidStateException "Upgrade readiness issues detected. ...".
The new version is emitted as `eks.cluster.updated` (account_id, region, cluster, version, patch) before
the cluster turns ACTIVE, so a cluster that follows it (prod's fake Kubernetes API, sandbox/nodegroups.py)
reports the new /version by then.
"""

from __future__ import annotations

from typing import Any

from opsbook.sandbox.aws import eks_addons, eks_state
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.eks_state import cluster_of, minor, parts
from opsbook.sandbox.aws.wire import Call, Response, json_response, rest_json_error
from opsbook.sandbox.estate import RELEASES

SERVICE = "eks"
READINESS = (
    "Upgrade readiness issues detected. Call the EKS ListInsights API to view upgrade blocking issues "
    "detected by EKS. Pass the force flag to override upgrade readiness errors and proceed with upgrade."
)


def is_next_minor(have: str, want: str) -> bool:
    (a, b), (c, d) = minor(have), minor(want)
    return (a, b + 1) == (c, d)


def refusal(call: Call, data: SandboxData, cluster: Any, name: str, want: str) -> Response | None:
    have: str = cluster.version
    if want not in RELEASES:
        return rest_json_error("InvalidParameterException", "unsupported Kubernetes version", 400)
    if not is_next_minor(have, want):
        return rest_json_error(
            "InvalidParameterException",
            f"Unsupported Kubernetes minor version update from {have} to {want}",
            400,
        )
    busy = eks_state.in_progress(data, call.account_id, call.region, name)
    if busy is not None:
        return rest_json_error(
            "ResourceInUseException",
            f"Cannot VersionUpdate because cluster {name} currently has update {busy['id']} in progress",
            409,
        )
    if cluster.status != "ACTIVE":
        return rest_json_error("ResourceInUseException", f"Cluster {name} is in {cluster.status} state", 409)
    behind = sorted(ng.nodegroup_name for ng in cluster.nodegroups.values() if ng.version != have)
    if behind:
        return rest_json_error(
            "InvalidParameterException",
            f"Nodegroups {', '.join(behind)} must be updated to match cluster version {have} "
            "before updating cluster version",
            400,
        )
    return None


def update_cluster_version(call: Call, data: SandboxData) -> Response:
    name = parts(call)[1]  # clusters/{name}/updates
    cluster, error = cluster_of(call, name)
    if error is not None:
        return error
    body = call.json()
    want = str(body.get("version") or "")
    refused = refusal(call, data, cluster, name, want)
    if refused is not None:
        return refused
    if not body.get("force") and eks_addons.readiness_problems(
        data, call.account_id, call.region, name, want
    ):
        return rest_json_error("InvalidStateException", READINESS, 400)
    release = RELEASES[want]
    update = eks_state.new_update("VersionUpdate", [("Version", want), ("PlatformVersion", release.platform)])
    eks_state.remember(data, call.account_id, call.region, name, update)
    cluster.status = "UPDATING"
    event = {"account_id": call.account_id, "region": call.region, "cluster": name,
             "version": want, "patch": release.patch}  # fmt: skip

    def settle() -> None:
        data.emit("eks.cluster.updated", event)
        cluster.version, cluster.platformVersion = want, release.platform
        cluster.status = "ACTIVE"
        eks_state.settle(data, update)

    data.later(data.delays["eks.cluster_update"], settle)
    return json_response({"update": update})


HANDLERS = {"UpdateClusterVersion": update_cluster_version}
