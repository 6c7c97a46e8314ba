"""Reading the protobuf request bodies kubectl sends, as JSON-shaped dicts.

kubectl's typed client (`create namespace|serviceaccount|secret|configmap`, `autoscale`, `drain`'s evictions
and deletes) posts `application/vnd.kubernetes.protobuf`: the magic `k8s\\x00`, then a `runtime.Unknown` envelope
(TypeMeta, raw object bytes). This module decodes the protobuf wire format and maps field numbers to
JSON names for the few kinds kubectl sends that way (field numbers from Kubernetes' generated.proto).
A kind without a schema is refused with 415, as a server that cannot decode it would.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

MAGIC = b"k8s\x00"
PROTOBUF = "application/vnd.kubernetes.protobuf"

# A schema maps a field number to (json name, type); a type is "str", "bytes", "int", "bool",
# "time", "strs" (repeated string), "map" (string map), "bmap" (string->bytes map), a schema dict
# (a nested message) or a one-item list holding a schema (a repeated message).
Schema = dict[int, tuple[str, Any]]

OWNER_REF: Schema = {1: ("kind", "str"), 3: ("name", "str"), 4: ("uid", "str"), 5: ("apiVersion", "str"),
                     6: ("controller", "bool"), 7: ("blockOwnerDeletion", "bool")}  # fmt: skip
OBJECT_META: Schema = {
    1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"), 5: ("uid", "str"),
    6: ("resourceVersion", "str"), 7: ("generation", "int"), 8: ("creationTimestamp", "time"),
    11: ("labels", "map"), 12: ("annotations", "map"), 13: ("ownerReferences", [OWNER_REF]),
    14: ("finalizers", "strs"),
}  # fmt: skip
DELETE_OPTIONS: Schema = {
    1: ("gracePeriodSeconds", "int"),
    2: ("preconditions", {1: ("uid", "str"), 2: ("resourceVersion", "str")}),
    3: ("orphanDependents", "bool"),
    4: ("propagationPolicy", "str"),
    5: ("dryRun", "strs"),
}
TARGET_REF: Schema = {1: ("kind", "str"), 2: ("name", "str"), 3: ("apiVersion", "str")}
OBJECT_REF: Schema = {1: ("kind", "str"), 2: ("namespace", "str"), 3: ("name", "str"), 4: ("uid", "str"),
                      5: ("apiVersion", "str"), 6: ("resourceVersion", "str"), 7: ("fieldPath", "str")}  # fmt: skip
SCHEMAS: dict[tuple[str, str], Schema] = {
    ("v1", "Secret"): {
        1: ("metadata", OBJECT_META),
        2: ("data", "bmap"),
        3: ("type", "str"),
        4: ("stringData", "map"),
        5: ("immutable", "bool"),
    },  # fmt: skip
    ("v1", "ConfigMap"): {
        1: ("metadata", OBJECT_META),
        2: ("data", "map"),
        3: ("binaryData", "bmap"),
        4: ("immutable", "bool"),
    },  # fmt: skip
    ("v1", "Namespace"): {1: ("metadata", OBJECT_META), 2: ("spec", {1: ("finalizers", "strs")})},
    ("v1", "ServiceAccount"): {
        1: ("metadata", OBJECT_META),
        2: ("secrets", [OBJECT_REF]),
        3: ("imagePullSecrets", [{1: ("name", "str")}]),
        4: ("automountServiceAccountToken", "bool"),
    },  # fmt: skip
    ("v1", "DeleteOptions"): DELETE_OPTIONS,
    ("meta.k8s.io/v1", "DeleteOptions"): DELETE_OPTIONS,
    ("policy/v1", "Eviction"): {1: ("metadata", OBJECT_META), 2: ("deleteOptions", DELETE_OPTIONS)},
    ("autoscaling/v1", "HorizontalPodAutoscaler"): {
        1: ("metadata", OBJECT_META),
        2: (
            "spec",
            {
                1: ("scaleTargetRef", TARGET_REF),
                2: ("minReplicas", "int"),
                3: ("maxReplicas", "int"),
                4: ("targetCPUUtilizationPercentage", "int"),
            },
        ),
    },  # fmt: skip
}


class ProtobufError(ValueError):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of one message; length-delimited values stay bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ProtobufError("truncated field")
            out.append((number, data[pos : pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
    return out


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise ProtobufError("expected a length-delimited field")
    return value.decode()


def _signed(value: int | bytes) -> int:
    if not isinstance(value, int):
        raise ProtobufError("expected a varint field")
    return value - (1 << 64) if value >= 1 << 63 else value


def message(data: bytes, schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, value in fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if kind == "str":
            if _text(value):  # proto2 sends unset strings as "", JSON leaves them out
                out[name] = _text(value)
        elif kind == "bytes":
            out[name] = base64.b64encode(value if isinstance(value, bytes) else b"").decode()
        elif kind == "int":
            out[name] = _signed(value)
        elif kind == "bool":
            out[name] = bool(value)
        elif kind == "strs":
            out.setdefault(name, []).append(_text(value))
        elif kind in ("map", "bmap"):
            entry = dict(fields(value if isinstance(value, bytes) else b""))
            key, item = _text(entry.get(1, b"")), entry.get(2, b"")
            item_bytes = item if isinstance(item, bytes) else b""
            out.setdefault(name, {})[key] = (
                base64.b64encode(item_bytes).decode() if kind == "bmap" else item_bytes.decode()
            )
        elif kind == "time":
            seconds = _signed(dict(fields(value if isinstance(value, bytes) else b"")).get(1, 0))
            if seconds:
                out[name] = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif isinstance(kind, list):
            out.setdefault(name, []).append(message(value if isinstance(value, bytes) else b"", kind[0]))
        else:
            out[name] = message(value if isinstance(value, bytes) else b"", kind)
    return out


def decode(body: bytes) -> dict[str, Any]:
    """A `k8s\\x00`-framed protobuf object as the JSON object kubectl would have sent."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic number")
    envelope = dict(fields(body[len(MAGIC) :]))
    head = envelope.get(1, b"")
    type_meta = message(head if isinstance(head, bytes) else b"",
                        {1: ("apiVersion", "str"), 2: ("kind", "str")})  # fmt: skip
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    schema = SCHEMAS.get((api_version, kind))
    if schema is None:
        raise ProtobufError(f"the sandbox cannot read {kind or 'this object'} ({api_version}) as protobuf")
    raw = envelope.get(2, b"")
    obj = message(raw if isinstance(raw, bytes) else b"", schema)
    return {"apiVersion": api_version, "kind": kind, **obj}
