"""OpenAPI v3 documents of the fake API: `/openapi/v3` lists one document per group-version
(`api/v1`, `apis/apps/v1`...), each with its paths and the component schemas of its kinds (`schemas.py`).

Why kubectl 1.32 needs them: `kubectl apply|create -f` validates by default (`--validate=strict`). It
downloads `/openapi/v3`, then the group-version's document, and looks for the kind's PATCH operation
(`x-kubernetes-group-version-kind`) with a `fieldValidation` query parameter. Found: kubectl skips its
own schema check and sends `?fieldValidation=Strict`, leaving unknown fields to the server (`schemas.py`
refuses them). Not found (404 here, then on `/openapi/v2`): "failed to download openapi".

The PATCH operations list JSON, merge and apply patches but not strategic merge patches, so
`kubectl apply` computes its patches from its built-in types (a real server's strategic-merge metadata
would come from `x-kubernetes-patch-strategy` extensions the generated schemas do not carry).
`/openapi/v2` is not served.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from opsbook.sandbox.estate import KUBERNETES_PATCH
from opsbook.sandbox.k8s.resources import RESOURCES, ResourceType
from opsbook.sandbox.k8s.schemas import REF, Schema, builtin_schema

Obj = dict[str, Any]
SchemaOf = Callable[[ResourceType], Schema | None]
_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _query(*names: str) -> list[Obj]:
    return [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for n in names]


def _operation(rt: ResourceType, action: str, ref: Obj, body_types: Sequence[str] = ()) -> Obj:
    op: Obj = {
        "operationId": f"{action}{rt.kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "responses": {"200": {"content": {"application/json": {"schema": ref}}}},
    }
    if body_types:
        op["parameters"] = _query(*_WRITE_PARAMS)
        op["requestBody"] = {"content": {t: {"schema": ref} for t in body_types}, "required": True}
    return op


def _paths(rt: ResourceType, ref: Obj) -> Obj:
    base = "/" + gv_path(rt.group, rt.version) + ("/namespaces/{namespace}" if rt.namespaced else "")
    writes = "create" in rt.verbs
    collection: Obj = {"get": _operation(rt, "list", ref)}
    item: Obj = {"get": _operation(rt, "get", ref)}
    if writes:
        collection["post"] = _operation(rt, "post", ref, ("application/json", "application/yaml"))
        item["put"] = _operation(rt, "put", ref, ("application/json", "application/yaml"))
        item["patch"] = _operation(rt, "patch", ref, _PATCH_TYPES)
        item["delete"] = _operation(rt, "delete", ref)
    name = [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {f"{base}/{rt.plural}": collection, f"{base}/{rt.plural}/{{name}}": {**item, "parameters": name}}


def document(group: str, version: str, types: Sequence[ResourceType], schema_of: SchemaOf) -> Obj:
    """The OpenAPI v3 document of one group-version."""
    paths: Obj = {}
    components: dict[str, Obj] = {}
    for rt in types:
        gvk = [{"group": rt.group, "version": rt.version, "kind": rt.kind}]
        found = schema_of(rt)
        if found is not None and "$ref" in found[0]:
            root, comps = found
            name = root["$ref"].removeprefix(REF)
            components.update(comps)
        else:
            name = f"{rt.group or 'core'}.{rt.version}.{rt.kind}"
            open_schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            components[name] = dict(found[0]) if found is not None else open_schema
        components[name] = {**components[name], "x-kubernetes-group-version-kind": gvk}
        paths.update(_paths(rt, {"$ref": REF + name}))
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": f"v{KUBERNETES_PATCH}"},
        "paths": paths,
        "components": {"schemas": components},
    }


@functools.lru_cache(maxsize=32)
def _builtin(group: str, version: str) -> bytes:
    types = [rt for rt in RESOURCES if (rt.group, rt.version) == (group, version)]
    doc = document(group, version, types, lambda rt: builtin_schema(rt.kind, rt.version))
    return json.dumps(doc, separators=(",", ":")).encode()


def serve(parts: list[str], custom: Sequence[ResourceType], schema_of: SchemaOf) -> bytes | None:
    """The body for `/openapi/v3[/<group-version path>]`, or None when there is no such document."""
    if parts[:2] != ["openapi", "v3"]:
        return None
    versions = dict.fromkeys((rt.group, rt.version) for rt in (*RESOURCES, *custom))
    bodies: dict[str, Callable[[], bytes]] = {}
    for group, version in versions:
        mine = [rt for rt in custom if (rt.group, rt.version) == (group, version)]
        if mine:
            bodies[gv_path(group, version)] = functools.partial(_custom, group, version, mine, schema_of)
        else:
            bodies[gv_path(group, version)] = functools.partial(_builtin, group, version)
    wanted = "/".join(parts[2:])
    if not wanted:
        listing = {
            path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={_hash(body())}"}
            for path, body in bodies.items()
        }
        return json.dumps({"paths": listing}, separators=(",", ":")).encode()
    body = bodies.get(wanted)
    return body() if body is not None else None


def _custom(group: str, version: str, types: list[ResourceType], schema_of: SchemaOf) -> bytes:
    return json.dumps(document(group, version, types, schema_of), separators=(",", ":")).encode()


def _hash(body: bytes) -> str:
    return hashlib.sha512(body).hexdigest()[:128].upper()
