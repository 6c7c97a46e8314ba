"""CustomResourceDefinition controller: each served version of a CRD becomes a resource type the API
serves (discovery, CRUD, watch, its schema in OpenAPI and field validation), and the CRD reports
NamesAccepted and Established as a real API server's apiextensions controller does. Deleting the CRD
stops serving it and deletes its objects.

A CRD's objects are stored as given (no conversion between versions, no validation beyond unknown
fields, no CEL rules); its `status` subresource is served when the version declares it.
"""

from __future__ import annotations

from typing import Any

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.controllers.common import Obj, meta, now_stamp
from opsbook.sandbox.k8s.resources import ALL_VERBS, ResourceType
from opsbook.sandbox.k8s.schemas import Schema
from opsbook.sandbox.k8s.store import ClusterStore

CRD = "customresourcedefinitions.apiextensions.k8s.io"
_ENVELOPE = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}


def resource_types(crd: Obj) -> list[ResourceType]:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    if not (spec.get("group") and names.get("plural") and names.get("kind")):
        return []
    return [
        ResourceType(
            spec["group"],
            version["name"],
            names["plural"],
            names["kind"],
            spec.get("scope") == "Namespaced",
            tuple(names.get("shortNames") or ()),
            ALL_VERBS,
            ("status",) if "status" in (version.get("subresources") or {}) else (),
            tuple(names.get("categories") or ()),
            bool(version.get("deprecated")),
        )
        for version in spec.get("versions") or []
        if version.get("served", True) and version.get("name")
    ]


def schema(store: ClusterStore, rt: ResourceType) -> Schema | None:
    """The version's `openAPIV3Schema` for field validation (None: open, or not a custom resource)."""
    if rt not in store.custom_types:
        return None
    try:
        crd = store.get(CRD, f"{rt.plural}.{rt.group}")
    except errors.ApiError:  # deleted meanwhile: nothing to check against
        return None
    for version in (crd.get("spec") or {}).get("versions") or []:
        if version.get("name") == rt.version:
            root: Any = ((version.get("schema") or {}).get("openAPIV3Schema")) or {}
            if not isinstance(root, dict) or "properties" not in root:
                return None
            return {**root, "properties": {**_ENVELOPE, **root["properties"]}}, {}
    return None


def _status(crd: Obj) -> Obj:
    spec = crd.get("spec") or {}
    stamp = ((crd.get("status") or {}).get("conditions") or [{}])[0].get("lastTransitionTime") or now_stamp()
    conditions = [
        {"type": kind, "status": "True", "reason": reason, "message": message, "lastTransitionTime": stamp}
        for kind, reason, message in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        )
    ]
    stored = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    return {"conditions": conditions, "acceptedNames": spec.get("names") or {}, "storedVersions": stored}


def reconcile(store: ClusterStore) -> bool:
    changed = False
    wanted: dict[tuple[str, str], ResourceType] = {}
    for crd in store.list(CRD):
        for rt in resource_types(crd):
            wanted[(rt.key, rt.version)] = rt
        status = _status(crd)
        if crd.get("status") != status:
            store.replace(CRD, meta(crd)["name"], {**crd, "status": status}, None, "status")
            changed = True
    served = {(rt.key, rt.version): rt for rt in store.custom_types}
    for key, version in served.keys() - wanted.keys():
        store.unregister_type(key, version)
        changed = True
    for ident, rt in wanted.items():
        if served.get(ident) != rt:
            store.register_type(rt)
            changed = True
    return changed
