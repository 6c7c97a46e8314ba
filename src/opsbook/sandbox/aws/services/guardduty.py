"""GuardDuty ListFindings / GetFindings (moto has detectors but no findings), from seeded data.

GuardDuty is rest-json: the operation is in the path, not a header, so this module routes on the path
(`POST /detector/<id>/findings[/get]`) and returns None for anything else, which leaves it to moto.
State: `data.extra["guardduty"][account_id]` is a list of findings in GetFindings' wire shape.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response

SERVICE = "guardduty"
_PATH = re.compile(r"^/detector/([^/]+)/findings(/get)?/?$")
PAGE = 50


def rest_json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, default=str).encode()
    return status, {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}, body


def findings_of(call: Call, data: SandboxData) -> list[dict[str, Any]]:
    return [
        f
        for f in data.extra.get(SERVICE, {}).get(call.account_id, [])
        if f.get("region", call.region) == call.region
    ]


def archived_wanted(criteria: dict[str, Any]) -> bool | None:
    cond = criteria.get("criterion", {}).get("service.archived", {})
    values = cond.get("equals") or cond.get("eq") or []
    return None if not values else str(values[0]).lower() == "true"


def list_findings(call: Call, data: SandboxData) -> Response:
    body = call.json()
    wanted = archived_wanted(body.get("findingCriteria") or {})
    found = [
        f
        for f in findings_of(call, data)
        if wanted is None or bool(f.get("service", {}).get("archived")) == wanted
    ]
    sort = body.get("sortCriteria") or {}
    if sort.get("attributeName") == "severity":
        found.sort(key=lambda f: f["severity"], reverse=sort.get("orderBy", "ASC") == "DESC")
    start = int(body.get("nextToken") or 0)
    size = int(body.get("maxResults") or PAGE)
    page = found[start : start + size]
    token = str(start + size) if start + size < len(found) else ""
    return rest_json({"findingIds": [f["id"] for f in page], "nextToken": token})


def get_findings(call: Call, data: SandboxData) -> Response:
    ids = set(call.json().get("findingIds", []))
    return rest_json({"findings": [f for f in findings_of(call, data) if f["id"] in ids]})


def route(call: Call, data: SandboxData) -> Response | None:
    m = _PATH.match(call.path)
    if call.method != "POST" or m is None:
        return None
    return get_findings(call, data) if m.group(2) else list_findings(call, data)


HANDLERS = {"": route}  # rest-json: `describe()` finds no operation name; route() decides by path
