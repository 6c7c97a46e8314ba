"""Pure helpers of the drift checks: read a dotted path, fill a key template, index live items the way the
drift table says, compare one state instance with its live item, find who last changed a resource."""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from opsbook.collect.aws.drift_models import TrailEvent
from opsbook.collect.aws.drift_table import Entry
from opsbook.core.aws_names import parse_arn


def plain(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def path_get(obj: Any, path: str) -> Any:
    """`a.0.b` of nested dicts/lists; "." is the object itself; None where the path does not lead."""
    if path == ".":
        return obj
    for part in path.split("."):
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


def render(template: str, values: dict[str, Any]) -> str | None:
    """The template filled from `values`; None when a field it names is missing, None or empty."""
    fmt = string.Formatter()
    try:
        for _, name, _, _ in fmt.parse(template):
            if name is not None and fmt.get_field(name, (), values)[0] in (None, ""):
                return None
        return template.format_map(values)
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def live_items(entry: Entry, value: Any) -> list[dict[str, Any]]:
    """The live items of an inventory value as plain dicts (`key` for dict-keyed values, `parent` for
    items found through `each`)."""
    if entry.items is not None:
        value = getattr(value, entry.items, None) if value is not None else None
    if value is None:
        return []
    if isinstance(value, dict):
        items = [{"key": k, **plain(v)} for k, v in value.items()]
    else:
        items = [plain(v) for v in value]
    if entry.each is None:
        return items
    return [{**child, "parent": parent} for parent in items for child in parent.get(entry.each) or []]


def live_index(entry: Entry, value: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in live_items(entry, value):
        key = render(entry.live_key, item)
        if key is not None:
            out[key] = item
    return out


def differences(entry: Entry, attrs: dict[str, Any], item: dict[str, Any]) -> dict[str, list[Any]]:
    """attribute -> [state value, live value] for every compared attribute that disagrees (the drift
    seam's `attributes`, docs/drift.md)."""
    out: dict[str, list[Any]] = {}
    for name, c in entry.compare.items():
        state = c.normalised(path_get(attrs, c.state or name), "state")
        live = path_get(item, c.live)
        if c.contains:
            live = c.normalised(live, "live") or []
            if state not in live:
                out[name] = [state, f"not among {len(live)} live value(s)"]
            continue
        live = c.normalised(live, "live")
        if state != live:
            out[name] = [state, live]
    return out


def matches_any(rules: list[dict[str, Any]], item: dict[str, Any]) -> bool:
    """Does `item` match one of the rules ({field path: value}, every field equal)?"""
    return any(all(path_get(item, k) == v for k, v in rule.items()) for rule in rules)


def excluded(entry: Entry, item: dict[str, Any]) -> bool:
    return matches_any(entry.exclude, item)


def last_change(events: Iterable[TrailEvent], names: set[str]) -> TrailEvent | None:
    """The newest write event naming any of `names`."""
    found = [e for e in events if names & set(e.resources)]
    return max(found, key=lambda e: e.time) if found else None


def arn_parts(arn: str) -> tuple[str, str, str] | None:
    """(service, resource type, resource id) of an ARN: `arn:aws:ec2:r:a:volume/vol-1` -> ec2, volume,
    vol-1; `arn:aws:s3:::b` -> s3, "", b; `arn:aws:rds:r:a:db:name` -> rds, db, name. None: not an ARN."""
    try:
        parsed = parse_arn(arn)
    except ValueError:
        return None
    for sep in ("/", ":"):
        if sep in parsed.resource:
            rtype, rid = parsed.resource.split(sep, 1)
            return parsed.service, rtype, rid
    return parsed.service, "", parsed.resource
