"""Field schemas of the kinds the fake API serves, and the server-side field validation built on them.

The schemas are generated, not written out: the official Kubernetes Python client carries one model
class per API type (`V1Deployment`, `V1PodSpec`...), each with its JSON field names (`attribute_map`)
and their types (`openapi_types`). `components(kind, version)` walks them into OpenAPI v3 component
schemas (`{"V1Pod": {"type": "object", "properties": {...}}}`), which `openapi.py` serves and
`unknown_fields` checks writes against. Kinds without a model (metrics, Velero) and CRDs whose schema
keeps unknown fields are open: any field is accepted.

`fieldValidation=Strict` (what kubectl 1.32 sends once the OpenAPI says the server supports it): a
field the schema does not know refuses the write with 400, worded as the real server words it.
Otherwise (Warn, Ignore, or no parameter) unknown fields are dropped, as a real server prunes them.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from opsbook.sandbox.k8s import errors

Obj = dict[str, Any]
REF = "#/components/schemas/"
_SCALARS: dict[str, Obj] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "bytes": {"type": "string", "format": "byte"},
    "object": {},  # IntOrString, RawExtension, JSON: anything
}
_LIST = re.compile(r"^(?:List|list)\[(.+)\]$")
_DICT = re.compile(r"^(?:Dict|dict)\[str, ?(.+)\]$|^dict\(str, ?(.+)\)$")


def _models() -> Any | None:
    try:
        import kubernetes.client as models  # the `k8s` extra; without it every kind is open
    except ImportError:  # pragma: no cover - the sandbox extra installs it
        return None
    return models


def model_name(kind: str, version: str) -> str:
    """`Deployment`, `v1` -> `V1Deployment`; `v1beta1` -> `V1beta1...` (the client's naming)."""
    return version[:1].upper() + version[1:] + kind


@functools.lru_cache(maxsize=64)
def _closure(name: str) -> tuple[tuple[str, Obj], ...]:
    models = _models()
    found: dict[str, Obj] = {}

    def prop(type_text: str) -> Obj:
        if type_text in _SCALARS:
            return dict(_SCALARS[type_text])
        listed = _LIST.match(type_text)
        if listed:
            return {"type": "array", "items": prop(listed.group(1))}
        mapped = _DICT.match(type_text)
        if mapped:
            return {"type": "object", "additionalProperties": prop(mapped.group(1) or mapped.group(2))}
        visit(type_text)
        return {"$ref": REF + type_text} if type_text in found else {}

    def visit(model: str) -> None:
        if model in found:
            return
        cls = getattr(models, model, None)
        if cls is None or not hasattr(cls, "openapi_types"):
            return
        schema: Obj = {"type": "object", "properties": {}}
        found[model] = schema
        for attribute, type_text in cls.openapi_types.items():
            schema["properties"][cls.attribute_map[attribute]] = prop(type_text)

    if models is not None:
        visit(name)
    return tuple(found.items())


def components(kind: str, version: str) -> dict[str, Obj]:
    """The component schemas for one kind (the kind's own schema first); {} when it has no model."""
    return {name: copy.deepcopy(schema) for name, schema in _closure(model_name(kind, version))}


Step = str | int


def unknown_fields(
    obj: Any, schema: Obj, comps: dict[str, Obj], at: tuple[Step, ...] = ()
) -> list[tuple[Step, ...]]:
    """Where `obj` has fields `schema` does not know, each as its path of keys and list indexes."""
    ref = schema.get("$ref")
    if ref:
        schema = comps.get(ref.removeprefix(REF), {})
    found: list[tuple[Step, ...]] = []
    if isinstance(obj, dict) and "properties" in schema:
        for key, value in obj.items():
            sub = schema["properties"].get(key)
            if key.startswith("$"):  # a strategic-merge-patch directive ($setElementOrder/..., $patch)
                continue
            if sub is None:
                if not schema.get("x-kubernetes-preserve-unknown-fields"):
                    found.append((*at, key))
                continue
            found.extend(unknown_fields(value, sub, comps, (*at, key)))
    elif isinstance(obj, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, value in obj.items():
            found.extend(unknown_fields(value, schema["additionalProperties"], comps, (*at, key)))
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for index, value in enumerate(obj):
            found.extend(unknown_fields(value, schema["items"], comps, (*at, index)))
    return found


def field_path(steps: tuple[Step, ...]) -> str:
    """(`spec`, `containers`, 0, `imagePullPolicyy`) -> `spec.containers[0].imagePullPolicyy`."""
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def drop_fields(obj: Obj, paths: list[tuple[Step, ...]]) -> Obj:
    """A copy of `obj` without the fields at `paths` (as `unknown_fields` finds them)."""
    pruned = copy.deepcopy(obj)
    for steps in paths:
        node: Any = pruned
        for step in steps[:-1]:
            node = node[step]
        node.pop(steps[-1], None)
    return pruned


Schema = tuple[Obj, dict[str, Obj]]  # (root schema, component schemas)


def check_fields(
    obj: Any, kind: str, version: str, schema: Schema | None, mode: str | None, verb: str
) -> Any:
    """Apply `fieldValidation` to a body about to be stored: raise 400 (Strict) or drop unknown fields.

    `schema` None means the kind is open. A patch body is checked as it is (directives skipped)."""
    if schema is None or not isinstance(obj, dict):
        return obj
    unknown = unknown_fields(obj, *schema)
    if not unknown:
        return obj
    if mode == "Strict":
        detail = "strict decoding error: " + ", ".join(f'unknown field "{field_path(u)}"' for u in unknown)
        if verb != "patch":
            detail = f'{kind} in version "{version}" cannot be handled as a {kind}: {detail}'
        raise errors.bad_request(detail)
    return drop_fields(obj, unknown)


def builtin_schema(kind: str, version: str) -> Schema | None:
    comps = components(kind, version)
    if not comps:
        return None
    return {"$ref": REF + model_name(kind, version)}, comps
