"""Deep merge with Atmos's list strategies.

- maps merge key by key, recursively; a value of a different type replaces the earlier one;
- lists follow the strategy: `replace` (default, later list wins), `append` (earlier + later),
  `merge` (item by item: maps deep-merged, at a scalar position the earlier value is kept,
  extra items of the later list appended);
- `!unset` removes the key; `!append [..]` appends whatever the strategy.
Inputs are never modified; the result shares no mutable containers with them.
"""

from __future__ import annotations

import copy
from typing import Any

from opsbook.core.errors import InputError
from opsbook.providers.atmos.yamlload import Append, Unset

STRATEGIES = ("replace", "append", "merge")


def check_strategy(value: Any, where: str) -> str:
    if value is None:
        return "replace"
    if value not in STRATEGIES:
        raise InputError(
            f"{where}: list_merge_strategy must be one of {', '.join(STRATEGIES)}, not {value!r}"
        )
    return str(value)


def _copy(value: Any) -> Any:
    if isinstance(value, Append):
        return [_copy(v) for v in value.items]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items() if not isinstance(v, Unset)}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return copy.copy(value) if isinstance(value, (set, bytearray)) else value


def _merge_lists(dst: list[Any], src: list[Any], strategy: str) -> list[Any]:
    if strategy == "append":
        return [_copy(v) for v in dst] + [_copy(v) for v in src]
    if strategy == "merge":
        out = []
        for i in range(max(len(dst), len(src))):
            if i >= len(src):
                out.append(_copy(dst[i]))
            elif i >= len(dst):
                out.append(_copy(src[i]))
            elif isinstance(dst[i], dict) and isinstance(src[i], dict):
                out.append(merge(dst[i], src[i], strategy))
            else:
                out.append(_copy(dst[i]))
        return out
    return [_copy(v) for v in src]


def merge(dst: Any, src: Any, strategy: str = "replace") -> Any:
    """Return `dst` with `src` merged on top."""
    if isinstance(src, Append):
        base = [_copy(v) for v in dst] if isinstance(dst, list) else []
        return base + [_copy(v) for v in src.items]
    if isinstance(dst, dict) and isinstance(src, dict):
        out = {k: _copy(v) for k, v in dst.items()}
        for key, value in src.items():
            if isinstance(value, Unset):
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value, strategy)
            else:
                out[key] = _copy(value)
        return out
    if isinstance(dst, list) and isinstance(src, list):
        return _merge_lists(dst, src, strategy)
    return _copy(src)


def merge_all(items: list[Any], strategy: str = "replace") -> dict[str, Any]:
    """Merge a list of maps in order (later wins); `None` entries are skipped."""
    out: dict[str, Any] = {}
    for item in items:
        if item is None:
            continue
        out = merge(out, item, strategy)
    return out


def strip_markers(value: Any) -> Any:
    """Drop `!unset` markers that had nothing to remove and resolve lone `!append`s."""
    return _copy(value)
