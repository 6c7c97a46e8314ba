"""A new random secret value of the same shape as the old one (guide: Security Operations / Secret Rotation).

- A JSON object keeps every key and every other value; only its password-like fields (`password`,
  `passwd`, `pwd`, `secret`, `token`, `api_key`... in the key's name, or the fields named) get new values,
  each as long as before and drawn from the same character classes.
- A plain string gets a new one of the same length from the same classes: lowercase, uppercase and digits
  when the old one had any, and exactly the punctuation characters it used (so a value a consumer parses,
  e.g. one without quotes or slashes, stays parseable).

Values come from the `secrets` module (a CSPRNG). Used by the rotation procedure and by the sandbox's
simulated rotation function (sandbox/aws/services/secretsmanager.py), so it lives in core.
Nothing here prints, logs or returns an old value.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Sequence

PASSWORD_LIKE = re.compile(r"pass(word)?|passwd|pwd|secret|token|api[-_]?key|^key$", re.IGNORECASE)
MIN_LENGTH = 16  # a new password is never shorter than this, whatever the old one was
CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


class ShapeError(ValueError):
    """The value has no field a rotation could change (a JSON object without a password-like field)."""


def json_object(value: str) -> dict[str, object] | None:
    """The value as a JSON object, or None when it is a plain string."""
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def password_fields(value: str, named: Sequence[str] = ()) -> list[str]:
    """The fields of a JSON value that a rotation changes (`named` ones when given); [] for a plain string.
    ShapeError when a JSON object has none (its keys are named, never its values)."""
    doc = json_object(value)
    if doc is None:
        return []
    keys = [k for k in doc if isinstance(doc[k], str)]
    fields = [k for k in named if k in keys] if named else [k for k in keys if PASSWORD_LIKE.search(k)]
    if not fields:
        want = f"the field(s) {', '.join(named)}" if named else "a password-like string field"
        raise ShapeError(f"the JSON value has no {want} (its keys: {', '.join(sorted(doc)) or 'none'})")
    return fields


def alphabet(old: str) -> list[str]:
    """The character classes `old` uses: lowercase/uppercase/digits as classes, punctuation as used."""
    found = [cls for cls in CLASSES if any(c in cls for c in old)]
    punctuation = "".join(sorted({c for c in old if c in string.punctuation}))
    if punctuation:
        found.append(punctuation)
    return found or list(CLASSES)


def random_like(old: str) -> str:
    """A new random string as long as `old` (at least MIN_LENGTH) from its classes, one of each at least,
    different from `old`."""
    classes = alphabet(old)
    pool = "".join(classes)
    length = max(len(old), MIN_LENGTH, len(classes))
    while True:
        chars = [secrets.choice(cls) for cls in classes]
        chars += [secrets.choice(pool) for _ in range(length - len(chars))]
        for i in range(len(chars) - 1, 0, -1):  # Fisher-Yates with the CSPRNG
            j = secrets.randbelow(i + 1)
            chars[i], chars[j] = chars[j], chars[i]
        new = "".join(chars)
        if new != old:
            return new


def new_value(old: str, named: Sequence[str] = ()) -> str:
    """A value of `old`'s shape with new random password fields (or a new random string)."""
    doc = json_object(old)
    if doc is None:
        return random_like(old)
    for key in password_fields(old, named):
        doc[key] = random_like(str(doc[key]))
    return json.dumps(doc)


def field_of(value: str, field: str | None) -> str:
    """The string a consumer reads: `field` of a JSON value, or the whole value."""
    if not field:
        return value
    doc = json_object(value)
    if doc is None or not isinstance(doc.get(field), str):
        raise ShapeError(f"the value has no string field {field!r}")
    return str(doc[field])
