"""Label and field selectors, as the API server parses them.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (absent),
joined by commas. Field selectors: `path=v`, `path==v`, `path!=v`, joined by commas, on the fields
each kind supports (`metadata.name` and `metadata.namespace` everywhere, plus `FIELDS` below).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from opsbook.core.labels import OP_RE, SelectorError, label_requirement, split_top_level

Predicate = Callable[[dict[str, Any]], bool]

# Fields a kind can be filtered on beyond metadata.name/metadata.namespace (the API server's own lists,
# trimmed to what the sandbox's data carries).
FIELDS: dict[str, tuple[str, ...]] = {
    "Pod": ("status.phase", "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "status.podIP"),
    "Node": ("spec.unschedulable",),
    "Event": (
        "involvedObject.kind",
        "involvedObject.name",
        "involvedObject.namespace",
        "involvedObject.uid",
        "reason",
        "type",
        "source",
    ),
    "Secret": ("type",),
    "Namespace": ("status.phase",),
    "ReplicaSet": ("status.replicas",),
    "Job": ("status.successful",),
}


def label_selector(text: str | None) -> Predicate:
    """Compile a label selector into a predicate over whole objects."""
    if not text or not text.strip():
        return lambda obj: True
    requirements = [label_requirement(term) for term in split_top_level(text)]

    def matches(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(req(labels) for req in requirements)

    return matches


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string form of a dotted field, as the API server compares it (missing -> "")."""
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if path == "source" and isinstance(value, Mapping):
        value = value.get("component")
    if value is None:
        return "false" if path == "spec.unschedulable" else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_selector(text: str | None, kind: str) -> Predicate:
    """Compile a field selector for objects of `kind` into a predicate."""
    if not text or not text.strip():
        return lambda obj: True
    allowed = ("metadata.name", "metadata.namespace", *FIELDS.get(kind, ()))
    terms: list[tuple[str, bool, str]] = []
    for term in split_top_level(text):
        match = OP_RE.match(term)
        if not match:
            raise SelectorError(f"invalid field selector: {term.strip()!r}")
        path, op, value = match.groups()
        if path not in allowed:
            raise SelectorError(f'field label not supported: "{path}"')
        terms.append((path, op == "!=", value))

    def matches(obj: dict[str, Any]) -> bool:
        return all((field_value(obj, path) == value) != negate for path, negate, value in terms)

    return matches


def selector_string(match_labels: Mapping[str, str]) -> str:
    """`{"app": "x", "tier": "web"}` -> `app=x,tier=web` (for Scale.status.selector and table cells)."""
    return ",".join(f"{k}={v}" for k, v in sorted(match_labels.items()))
