"""EKS node group scaling as AWS does it over time (moto applies a new scaling config at once, stays ACTIVE,
validates nothing and has no DescribeUpdate / ListUpdates).

UpdateNodegroupConfig with a `scalingConfig` (and nothing else: labels, taints and the rest are left to
moto) checks what EKS checks (the node group exists and is not mid-update; 0 <= min <= desired <= max,
max >= 1), answers an `InProgress` update and puts the node group in UPDATING; `data.delays
["eks.nodegroup_update"]` seconds later the node group has the new sizes and is ACTIVE again (DEGRADED if
it has health issues), and the update is `Successful`. Both moments are emitted as events
(`eks.nodegroup.updating`, `eks.nodegroup.updated`) for the sandbox's Kubernetes side (sandbox/nodegroups.py).
DescribeUpdate / ListUpdates serve every update the sandbox's EKS makes (sandbox/aws/eks_state.py).
"""

from __future__ import annotations

from opsbook.sandbox.aws import eks_state
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.eks_state import nodegroup_of, parts, query, zones
from opsbook.sandbox.aws.wire import Call, Response, json_response, rest_json_error
from opsbook.sandbox.estate import RELEASES

SERVICE = "eks"
SIZES = (("minSize", "MinSize"), ("maxSize", "MaxSize"), ("desiredSize", "DesiredSize"))


def _invalid(sizes: dict[str, int]) -> str | None:
    low, high, want = sizes["minSize"], sizes["maxSize"], sizes["desiredSize"]
    if low < 0 or want < 0 or high < 1:
        return "Minimum and desired sizes must be 0 or more and the maximum size 1 or more"
    if low > high:
        return f"Minimum capacity {low} can't be greater than max capacity {high}"
    if not low <= want <= high:
        return f"Desired capacity {want} must be between min capacity {low} and max capacity {high}"
    return None


def update_nodegroup_config(call: Call, data: SandboxData) -> Response | None:
    body = call.json()
    if set(body) - {"scalingConfig", "clientRequestToken"} or not body.get("scalingConfig"):
        return None  # labels, taints, update/repair config: moto applies them
    path = parts(call)  # clusters/{name}/node-groups/{nodegroupName}/update-config
    cluster, name = path[1], path[3]
    ng, error = nodegroup_of(call, cluster, name)
    if error is not None:
        return error
    if ng.status not in ("ACTIVE", "DEGRADED"):
        return rest_json_error(
            "ResourceInUseException", f"Nodegroup {name} is in {ng.status} state and cannot be updated", 409
        )
    old = {k: int(ng.scaling_config.get(k, 0)) for k, _ in SIZES}
    new = old | {k: int(v) for k, v in body["scalingConfig"].items() if k in old}
    problem = _invalid(new)
    if problem:
        return rest_json_error("InvalidParameterException", problem, 400)
    update = eks_state.new_update(
        "ConfigUpdate", [(label, str(new[k])) for k, label in SIZES if new[k] != old[k]]
    )
    event = {
        "account_id": call.account_id,
        "region": call.region,
        "cluster": cluster,
        "nodegroup": name,
        "old": old,
        "new": new,
        "instance_type": (ng.instance_types or ["t3.medium"])[0],
        "zones": zones(call, list(ng.subnets)),
        "kubelet_version": RELEASES[ng.version].kubelet if ng.version in RELEASES else None,
        "image": RELEASES[ng.version].image if ng.version in RELEASES else None,
    }
    eks_state.remember(data, call.account_id, call.region, cluster, update, nodegroup=name)
    ng.status = "UPDATING"
    data.emit("eks.nodegroup.updating", event)

    def settle() -> None:
        ng.scaling_config = dict(new)  # a new dict: moto's default config is shared between node groups
        ng.status = "DEGRADED" if (ng.health or {}).get("issues") else "ACTIVE"
        eks_state.settle(data, update)
        data.emit("eks.nodegroup.updated", event)

    data.later(data.delays.get("eks.nodegroup_update", 0.0), settle)
    return json_response({"update": update})


def _which(call: Call) -> dict[str, str | None]:
    return {"nodegroup": query(call, "nodegroupName"), "addon": query(call, "addonName")}


def describe_update(call: Call, data: SandboxData) -> Response:
    """DescribeUpdate: a node group's or an add-on's update is found only with its `nodegroupName` /
    `addonName`, as on EKS."""
    path = parts(call)  # clusters/{name}/updates/{updateId}
    cluster, update_id = path[1], path[3]
    for update in eks_state.updates(data, call.account_id, call.region, cluster, **_which(call)):
        if update["id"] == update_id:
            return json_response({"update": update})
    return rest_json_error("ResourceNotFoundException", f"No update found for ID: {update_id}.", 404)


def list_updates(call: Call, data: SandboxData) -> Response:
    """ListUpdates of the cluster itself, or of the node group / add-on named in the query; newest first."""
    cluster = parts(call)[1]  # clusters/{name}/updates
    found = eks_state.updates(data, call.account_id, call.region, cluster, **_which(call))
    return json_response({"updateIds": [u["id"] for u in found]})


HANDLERS = {
    "UpdateNodegroupConfig": update_nodegroup_config,
    "DescribeUpdate": describe_update,
    "ListUpdates": list_updates,
}
