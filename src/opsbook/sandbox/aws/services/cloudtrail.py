"""CloudTrail LookupEvents (moto records no events and has no LookupEvents), from recorded events.

State: `data.extra["cloudtrail"][account_id]` is a list of events in LookupEvents' wire shape plus their
`region` (`EventTime` in epoch seconds); seeds record the manual changes they make (seeds/tfstate_aws.py).
LookupAttributes (one, as AWS allows), StartTime/EndTime, MaxResults (at most 50) and NextToken work as on
AWS; events come newest first.
"""

from __future__ import annotations

from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_error, json_response

SERVICE = "cloudtrail"
ATTRIBUTES = {
    "EventName": lambda e: [e["EventName"]],
    "Username": lambda e: [e.get("Username", "")],
    "ReadOnly": lambda e: [e.get("ReadOnly", "false")],
    "ResourceName": lambda e: [r["ResourceName"] for r in e.get("Resources", [])],
    "ResourceType": lambda e: [r["ResourceType"] for r in e.get("Resources", [])],
    "EventSource": lambda e: [e.get("EventSource", "")],
}


def record(data: SandboxData, account_id: str, event: dict[str, Any]) -> None:
    with data.lock:
        data.extra.setdefault(SERVICE, {}).setdefault(account_id, []).append(event)


def lookup_events(call: Call, data: SandboxData) -> Response:
    body = call.json()
    attrs = body.get("LookupAttributes") or []
    if len(attrs) > 1:
        return json_error("InvalidLookupAttributesException", "only one lookup attribute is allowed")
    with data.lock:
        events = [
            e for e in data.extra.get(SERVICE, {}).get(call.account_id, []) if e["region"] == call.region
        ]
    for a in attrs:
        read = ATTRIBUTES.get(a.get("AttributeKey"))
        if read is None:
            return json_error(
                "InvalidLookupAttributesException", f"unknown AttributeKey {a.get('AttributeKey')}"
            )
        events = [e for e in events if a.get("AttributeValue") in read(e)]
    start, end = body.get("StartTime"), body.get("EndTime")
    events = [
        e for e in events
        if (start is None or e["EventTime"] >= float(start)) and (end is None or e["EventTime"] <= float(end))
    ]  # fmt: skip
    events.sort(key=lambda e: e["EventTime"], reverse=True)
    first = int(body.get("NextToken") or 0)
    size = min(int(body.get("MaxResults") or 50), 50)
    page = [{k: v for k, v in e.items() if k != "region"} for e in events[first : first + size]]
    out: dict[str, Any] = {"Events": page}
    if first + size < len(events):
        out["NextToken"] = str(first + size)
    return json_response(out)


HANDLERS = {"LookupEvents": lookup_events}
