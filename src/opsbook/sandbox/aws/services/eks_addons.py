"""EKS add-ons (moto has none): ListAddons, DescribeAddon, DescribeAddonVersions, CreateAddon, UpdateAddon,
DeleteAddon, over the state and catalogue in sandbox/aws/eks_addons.py.

UpdateAddon answers an `InProgress` AddonUpdate (DescribeUpdate / ListUpdates with `addonName`) and puts the
add-on in UPDATING; `data.delays["eks.addon_update"]` seconds later it is ACTIVE at the new version and the
update `Successful`. CreateAddon is CREATING, then ACTIVE; DeleteAddon DELETING, then gone. EKS's refusals
(wording from EKS's answers where known): an unknown cluster or add-on (ResourceNotFoundException); a name
or version not offered for the cluster's Kubernetes version (InvalidParameterException "Addon version
specified is not supported"); an add-on that exists already or is mid-change, or a cluster with an update
in progress (ResourceInUseException; these wordings are the sandbox's own).
"""

from __future__ import annotations

import time
from typing import Any

from opsbook.sandbox.aws import eks_addons, eks_state
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.eks_state import cluster_of, parts, query
from opsbook.sandbox.aws.wire import Call, Response, json_response, rest_json_error

SERVICE = "eks"
SETTLED = ("ACTIVE", "DEGRADED", "UPDATE_FAILED", "CREATE_FAILED")


def _bad(message: str) -> Response:
    return rest_json_error("InvalidParameterException", message, 400)


def _in_use(message: str) -> Response:
    return rest_json_error("ResourceInUseException", message, 409)


def _addon(call: Call, data: SandboxData) -> tuple[Any, dict[str, Any] | None, Response | None]:
    """(the cluster, its add-on named in the path, or the error to answer)."""
    path = parts(call)  # clusters/{name}/addons/{addonName}[/update]
    cluster, error = cluster_of(call, path[1])
    if error is not None:
        return None, None, error
    addon = eks_addons.installed(data, call.account_id, call.region, path[1]).get(path[3])
    if addon is None:
        return (
            cluster,
            None,
            rest_json_error(
                "ResourceNotFoundException", f"No addon: {path[3]} found in cluster: {path[1]}", 404
            ),
        )
    return cluster, addon, None


def _snapshot(data: SandboxData, addon: dict[str, Any]) -> dict[str, Any]:
    with data.lock:
        return dict(addon)


def _later(data: SandboxData, change: Any, update: dict[str, Any] | None = None) -> None:
    """After the add-on delay: `change()` under the lock, then the update (if any) `Successful`."""

    def run() -> None:
        with data.lock:
            change()
        if update is not None:
            eks_state.settle(data, update)

    data.later(data.delays["eks.addon_update"], run)


def list_addons(call: Call, data: SandboxData) -> Response:
    name = parts(call)[1]
    _, error = cluster_of(call, name)
    if error is not None:
        return error
    with data.lock:
        names = sorted(
            eks_addons.installed_view(data, call.account_id, call.region, name), key=lambda a: a["addonName"]
        )
        return json_response({"addons": [a["addonName"] for a in names]})


def describe_addon(call: Call, data: SandboxData) -> Response:
    _, addon, error = _addon(call, data)
    if error is not None or addon is None:
        return error or _bad("no add-on")
    return json_response({"addon": _snapshot(data, addon)})


def describe_addon_versions(call: Call, data: SandboxData) -> Response:
    q = call.query
    found = eks_addons.describe_versions(
        query(call, "kubernetesVersion"), query(call, "addonName"),
        q.get("types", []), q.get("publishers", []), q.get("owners", []),
    )  # fmt: skip
    return json_response({"addons": found})


def create_addon(call: Call, data: SandboxData) -> Response:
    name = parts(call)[1]  # clusters/{name}/addons
    cluster, error = cluster_of(call, name)
    if error is not None:
        return error
    body = call.json()
    addon = str(body.get("addonName") or "")
    default = eks_addons.default_version(addon, cluster.version)
    if default is None:
        return _bad(f"Addon {addon} specified is not supported in {cluster.version} kubernetes version")
    version = body.get("addonVersion") or default
    if not eks_addons.compatible(addon, str(version), cluster.version):
        return _bad("Addon version specified is not supported")
    if addon in eks_addons.installed(data, call.account_id, call.region, name):
        return _in_use("Addon already exists.")
    made = eks_addons.install(data, call.account_id, call.region, name, addon, str(version),
                              status="CREATING", created=time.time())  # fmt: skip
    _later(data, lambda: made.update(status="ACTIVE"))
    return json_response({"addon": _snapshot(data, made)})


def update_addon(call: Call, data: SandboxData) -> Response:
    cluster, addon, error = _addon(call, data)
    if error is not None or addon is None:
        return error or _bad("no add-on")
    name, body = cluster.name, call.json()
    version = str(body.get("addonVersion") or addon["addonVersion"])
    if not eks_addons.compatible(addon["addonName"], version, cluster.version):
        return _bad("Addon version specified is not supported")
    busy = eks_state.in_progress(data, call.account_id, call.region, name)
    if busy is not None:
        return _in_use(
            f"Cannot AddonUpdate because cluster {name} currently has update {busy['id']} in progress"
        )
    if addon["status"] not in SETTLED:
        return _in_use(f"Addon {addon['addonName']} is in {addon['status']} state and cannot be updated")
    params = [("AddonVersion", version)]
    if body.get("resolveConflicts"):
        params.append(("ResolveConflicts", str(body["resolveConflicts"])))
    update = eks_state.new_update("AddonUpdate", params)
    eks_state.remember(data, call.account_id, call.region, name, update, addon=addon["addonName"])
    with data.lock:
        addon["status"] = "UPDATING"

    def done() -> None:
        addon.update(addonVersion=version, status="ACTIVE", modifiedAt=time.time())

    _later(data, done, update)
    return json_response({"update": update})


def delete_addon(call: Call, data: SandboxData) -> Response:
    cluster, addon, error = _addon(call, data)
    if error is not None or addon is None:
        return error or _bad("no add-on")
    with data.lock:
        addon["status"] = "DELETING"
        gone = dict(addon)
    addons = eks_addons.installed(data, call.account_id, call.region, cluster.name)
    _later(data, lambda: addons.pop(gone["addonName"], None))
    return json_response({"addon": gone})


HANDLERS = {
    "ListAddons": list_addons,
    "DescribeAddon": describe_addon,
    "DescribeAddonVersions": describe_addon_versions,
    "CreateAddon": create_addon,
    "UpdateAddon": update_addon,
    "DeleteAddon": delete_addon,
}
