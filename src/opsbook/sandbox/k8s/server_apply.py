"""Server-side apply: `PATCH` with `application/apply-patch+yaml` (`kubectl apply --server-side`, opsbook's
maintenance page). A documented simplification of the real field manager: the applied configuration creates
the object when it is missing, else it is merged into it (RFC 7386: the fields it names are set, the others
kept). Field ownership (`managedFields`) and conflicts between managers are not tracked. As on a real server,
`fieldManager` is required, and the body must name the object the URL names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.resources import ResourceType
from opsbook.sandbox.k8s.store import MERGE_PATCH, ClusterStore, Obj

APPLY_PATCH = "application/apply-patch+yaml"


def parse(body: bytes) -> Any:
    try:
        return yaml.safe_load(body or b"null")
    except yaml.YAMLError as exc:
        raise errors.bad_request(f"the request body is not valid YAML: {exc}") from None


def apply(
    store: ClusterStore,
    rt: ResourceType,
    name: str,
    namespace: str | None,
    payload: Any,
    query: Mapping[str, list[str]],
    dry_run: bool,
) -> tuple[int, Obj]:
    """(201, created) or (200, merged)."""
    if not (query.get("fieldManager") or [""])[0]:
        raise errors.invalid(
            "PatchOptions", "meta.k8s.io", "", "fieldManager: Required value: is required for apply patch"
        )
    meta = payload.get("metadata") if isinstance(payload, dict) else None
    if not isinstance(meta, dict) or not payload.get("apiVersion") or not payload.get("kind"):
        raise errors.bad_request("an applied configuration needs apiVersion, kind and metadata")
    if meta.get("name") != name:
        raise errors.bad_request(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
        )
    try:
        store.get(rt, name, namespace)
    except errors.ApiError as exc:
        if exc.code != 404:
            raise
        return 201, store.create(payload, namespace, rt, dry_run=dry_run)
    return 200, store.patch(rt, name, payload, MERGE_PATCH, namespace, None, dry_run)
