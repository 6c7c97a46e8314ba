"""What the EKS upgrade steps share: Kubernetes minors, and the EKS updates (ListUpdates / DescribeUpdate) of a
cluster, a node group or an add-on, newest first.

An update is EKS's record of a change in flight: `{"id", "status": InProgress|Successful|Failed|Cancelled,
"type": VersionUpdate|AddonUpdate|..., "params": [{"type": "Version", "value": "1.33"}, ...], "createdAt",
"errors": [{"errorCode", "errorMessage", "resourceIds"}]}`. A step finds its own update by type and the
version it asked for, so a resumed apply follows the update its killed predecessor started.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

MINOR = re.compile(r"^v?(\d+)\.(\d+)")
LOOK_AT = 20  # updates described per list (newest first): enough for every update of one upgrade


def minor(version: str | None) -> str:
    """`1.33` of `1.33`, `1.33.1`, `v1.33.1-eks-5d632ec`; "" when it is not a version."""
    m = MINOR.match(version or "")
    return f"{m.group(1)}.{m.group(2)}" if m else ""


def next_minor(version: str) -> str:
    m = MINOR.match(version)
    return f"{m.group(1)}.{int(m.group(2)) + 1}" if m else ""


def names(eks: Any, operation: str, key: str, cluster: str) -> list[str]:
    """The sorted names a cluster's listing pages give: `list_nodegroups`/"nodegroups", `list_addons`/"addons"."""
    return sorted(
        n for page in eks.get_paginator(operation).paginate(clusterName=cluster) for n in page.get(key, [])
    )


def updates(
    eks: Any, cluster: str, *, nodegroup: str | None = None, addon: str | None = None
) -> list[dict[str, Any]]:
    """The updates of the cluster (or of one of its node groups or add-ons), newest first."""
    where: dict[str, str] = {"name": cluster}
    if nodegroup:
        where["nodegroupName"] = nodegroup
    if addon:
        where["addonName"] = addon
    ids = eks.list_updates(**where).get("updateIds", [])[:LOOK_AT]
    found = [eks.describe_update(updateId=i, **where)["update"] for i in ids]
    return sorted(found, key=lambda u: stamp(u.get("createdAt")), reverse=True)


def param(update: dict[str, Any], kind: str) -> str | None:
    return next((str(p.get("value")) for p in update.get("params") or [] if p.get("type") == kind), None)


def update_to(
    found: list[dict[str, Any]], update_type: str, param_type: str, value: str
) -> dict[str, Any] | None:
    """The newest update of `update_type` whose `param_type` parameter is `value` (a minor for versions)."""
    for u in found:
        got = param(u, param_type)
        if u.get("type") == update_type and got is not None and (got == value or minor(got) == value):
            return u
    return None


def in_progress(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [u for u in found if u.get("status") == "InProgress"]


def errors_text(update: dict[str, Any]) -> str:
    """`PodEvictionFailure: Reached max retries while trying to evict pods ... (ip-10-0-1-10.ec2.internal)`."""
    parts = []
    for e in update.get("errors") or []:
        ids = ", ".join((e.get("resourceIds") or [])[:5])
        parts.append(
            f"{e.get('errorCode', 'error')}: {e.get('errorMessage', '')}".strip()
            + (f" ({ids})" if ids else "")
        )
    return "; ".join(parts) or "EKS gave no reason"


def stamp(value: Any) -> float:
    """Epoch seconds of an update's createdAt (boto3 gives a datetime; JSON, a number)."""
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def elapsed(update: dict[str, Any] | None, now: float | None = None) -> str:
    """`4m05s` since the update started ("" without one)."""
    if not update or not stamp(update.get("createdAt")):
        return ""
    secs = max(0, int((now or time.time()) - stamp(update.get("createdAt"))))
    return f"{secs // 60}m{secs % 60:02d}s"
