"""Field validation the API server does on write, for the kinds where the guide's commands meet it:
a HorizontalPodAutoscaler needs maxReplicas >= 1, minReplicas >= 1 and minReplicas <= maxReplicas
(422 Invalid, the causes joined as the real server words them). A Secret's `data` values must be base64:
the real server cannot even decode the body otherwise (400 BadRequest, its wording).
"""

from __future__ import annotations

import binascii
import re
from base64 import b64decode
from typing import Any

from opsbook.sandbox.k8s import errors

Obj = dict[str, Any]


def validate(kind: str, group: str, obj: Obj) -> None:
    """Raise 422 Invalid when `obj` (as it would be stored) breaks the kind's rules."""
    if kind == "Secret" and not group:
        _secret(obj)
    causes = _hpa(obj) if kind == "HorizontalPodAutoscaler" else []
    if causes:
        texts = [f"{field}: {message}" for field, message in causes]
        message = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
        qualified = f"{kind}.{group}" if group else kind
        exc = errors.invalid(qualified, group, (obj.get("metadata") or {}).get("name", ""), message)
        exc.details["kind"] = kind
        exc.details["causes"] = [
            {"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes
        ]  # kubectl prints these, one `* field: message` a line
        raise exc


def _hpa(obj: Obj) -> list[tuple[str, str]]:
    spec = obj.get("spec") or {}
    high, low = spec.get("maxReplicas"), spec.get("minReplicas", 1)
    causes: list[tuple[str, str]] = []
    if low is not None and (not isinstance(low, int) or low < 1):
        causes.append(("spec.minReplicas", f"Invalid value: {low}: must be greater than or equal to 1"))
    if not isinstance(high, int) or high < 1:
        causes.append(("spec.maxReplicas", f"Invalid value: {high}: must be greater than or equal to 1"))
    elif isinstance(low, int) and low > high:
        causes.append(
            ("spec.maxReplicas", f"Invalid value: {high}: must be greater than or equal to minReplicas")
        )
    return causes


_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")


def _secret(obj: Obj) -> None:
    for value in (obj.get("data") or {}).values():
        try:
            b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            bad = _NOT_BASE64.search(str(value))
            raise errors.bad_request(
                'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte '
                f"{bad.start() if bad else len(str(value))}"
            ) from None
