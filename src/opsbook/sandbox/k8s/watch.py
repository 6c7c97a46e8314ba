"""`GET ...?watch=1`: a stream of JSON watch events, one per line, as the API server sends them.

Without a resourceVersion (or with "0") the stream starts with an ADDED event for every matching object;
with one, it replays the store's change log after it (410 Gone when that is too old). Then it blocks for
new events until `timeoutSeconds` (capped at `MAX_SECONDS`) or until the server stops. Events are
filtered by namespace, name, label and field selector; with `Accept: ...;as=Table` (kubectl get -w)
each event's object is a one-row Table.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from opsbook.sandbox.k8s import errors, tables
from opsbook.sandbox.k8s.resources import ResourceType
from opsbook.sandbox.k8s.selectors import field_selector, label_selector
from opsbook.sandbox.k8s.store import ClusterStore

Obj = dict[str, Any]
MAX_SECONDS = 300.0
POLL_SECONDS = 0.5


def _first(query: Mapping[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _line(kind: str, obj: Obj) -> bytes:
    return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"


def stream(
    store: ClusterStore,
    rt: ResourceType,
    namespace: str | None,
    name: str | None,
    query: Mapping[str, list[str]],
    accept: str,
    view: Callable[[Obj], Obj],
    stopping: threading.Event,
) -> Iterator[bytes]:
    """Validate the request now (raising ApiError), then return the event stream."""
    try:
        by_label = label_selector(_first(query, "labelSelector"))
        by_field = field_selector(_first(query, "fieldSelector"), rt.kind)
    except ValueError as exc:
        raise errors.bad_request(str(exc)) from None
    timeout_text = _first(query, "timeoutSeconds") or ""
    seconds = min(float(timeout_text), MAX_SECONDS) if timeout_text.isdigit() else MAX_SECONDS
    as_table = tables.wants_table(accept)
    include = _first(query, "includeObject")

    def wanted(obj: Obj) -> bool:
        meta = obj.get("metadata") or {}
        return (
            (namespace is None or meta.get("namespace") == namespace)
            and (name is None or meta.get("name") == name)
            and by_label(obj)
            and by_field(obj)
        )

    def render(obj: Obj) -> Obj:
        rv = (obj.get("metadata") or {}).get("resourceVersion", "")
        return tables.to_table(rt.kind, [obj], rv, include, {}) if as_table else view(obj)

    start = _first(query, "resourceVersion") or "0"
    if not start.isdigit():
        raise errors.bad_request(f"invalid resourceVersion {start!r}")

    def events() -> Iterator[bytes]:
        deadline = time.monotonic() + seconds
        revision = int(start)
        if revision == 0:
            revision = int(store.resource_version)
            for obj in store.list(rt, namespace):
                if wanted(obj):
                    yield _line("ADDED", render(obj))
        while not stopping.is_set() and time.monotonic() < deadline:
            found = store.watch_log.after(revision, rt.key)
            if found is None:
                gone = errors.ApiError(410, "Expired", f"too old resource version: {revision}")
                yield _line("ERROR", gone.status())
                return
            for event in found:
                revision = event.revision
                if wanted(event.obj):
                    yield _line(event.type, render(event.obj))
            store.watch_log.wait(max(revision, int(store.resource_version)) if not found else revision,
                                 min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))  # fmt: skip

    return events()
