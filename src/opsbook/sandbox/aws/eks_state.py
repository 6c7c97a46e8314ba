"""What the sandbox's EKS operations share (sandbox/aws/services/eks*.py): finding a cluster or node group in
moto with EKS's not-found errors, and the updates EKS tracks (DescribeUpdate / ListUpdates), which moto
does not keep.

An update is kept in `data.extra["eks"][account id][update id]` = {"update": <Update as EKS answers it>,
"region", "cluster", "nodegroup", "addon"}: the last two name what it belongs to (None for a cluster update),
since EKS lists a cluster's, a node group's and an add-on's updates apart.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import unquote

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, rest_json_error

SERVICE = "eks"


def parts(call: Call) -> list[str]:
    """The request path's segments, unquoted: ["clusters", name, ...]."""
    return [unquote(p) for p in call.path.strip("/").split("/")]


def query(call: Call, name: str) -> str | None:
    values = call.query.get(name)
    return values[0] if values else None


def minor(version: str) -> tuple[int, int]:
    """(1, 32) of "1.32" or "1.32.1" (a version already known to be one EKS offers)."""
    major, _, rest = version.partition(".")
    return int(major), int(rest.split(".")[0] or 0)


def zones(call: Call, subnets: list[str]) -> list[str]:
    """The availability zones of a node group's subnets."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[call.account_id][call.region]
    zones = []
    for subnet in subnets:
        try:
            zones.append(ec2.get_subnet(subnet).availability_zone)
        except Exception:  # noqa: BLE001 - a subnet moto does not know: the region's first zone
            zones.append(f"{call.region}a")
    return sorted(set(zones))


def cluster_of(call: Call, name: str) -> tuple[Any, Response | None]:
    from moto.eks.models import eks_backends

    cluster = eks_backends[call.account_id][call.region].clusters.get(name)
    if cluster is None:
        return None, rest_json_error("ResourceNotFoundException", f"No cluster found for name: {name}.", 404)
    return cluster, None


def nodegroup_of(call: Call, cluster: str, name: str) -> tuple[Any, Response | None]:
    found, error = cluster_of(call, cluster)
    if error is not None:
        return None, error
    ng = found.nodegroups.get(name)
    if ng is None:
        return None, rest_json_error(
            "ResourceNotFoundException", f"No node group found for name: {name}.", 404
        )
    return ng, None


def new_update(kind: str, params: list[tuple[str, str]]) -> dict[str, Any]:
    """An `InProgress` update of `kind` (VersionUpdate, ConfigUpdate, AddonUpdate...) with its params."""
    return {
        "id": str(uuid.uuid4()),
        "status": "InProgress",
        "type": kind,
        "params": [{"type": name, "value": value} for name, value in params],
        "createdAt": time.time(),
        "errors": [],
    }


def remember(
    data: SandboxData,
    account_id: str,
    region: str,
    cluster: str,
    update: dict[str, Any],
    *,
    nodegroup: str | None = None,
    addon: str | None = None,
) -> None:
    entry = {"update": update, "region": region, "cluster": cluster, "nodegroup": nodegroup, "addon": addon}
    with data.lock:
        data.extra.setdefault(SERVICE, {}).setdefault(account_id, {})[update["id"]] = entry


def updates(
    data: SandboxData,
    account_id: str,
    region: str,
    cluster: str,
    *,
    nodegroup: str | None = None,
    addon: str | None = None,
) -> list[dict[str, Any]]:
    """Copies of the updates of exactly this cluster, node group or add-on, newest first."""
    with data.lock:
        found = [
            dict(u["update"], errors=list(u["update"]["errors"]))
            for u in data.extra.get(SERVICE, {}).get(account_id, {}).values()
            if (u.get("region", region), u["cluster"], u.get("nodegroup"), u.get("addon"))
            == (region, cluster, nodegroup, addon)
        ]
    return sorted(found, key=lambda u: -u["createdAt"])


def in_progress(
    data: SandboxData, account_id: str, region: str, cluster: str, **which: str | None
) -> dict[str, Any] | None:
    """The update of this cluster (or node group / add-on) still in progress, if any."""
    return next(
        (u for u in updates(data, account_id, region, cluster, **which) if u["status"] == "InProgress"), None
    )


def settle(data: SandboxData, update: dict[str, Any], errors: list[dict[str, Any]] | None = None) -> bool:
    """End an update: `Successful`, or `Failed` with EKS's error details. False if it had ended already."""
    with data.lock:
        if update["status"] != "InProgress":
            return False
        update["status"] = "Failed" if errors else "Successful"
        update["errors"] = list(errors or [])
    return True
