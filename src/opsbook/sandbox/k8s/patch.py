"""The three patch flavours the API server accepts.

- `application/merge-patch+json`: RFC 7386 (maps merge, `null` deletes, lists are replaced).
- `application/strategic-merge-patch+json`: a documented simplification of Kubernetes' strategic merge.
  Maps merge as in merge patch; a list whose items are all maps with a `name` key (containers, env,
  volumes, ports with names) is merged item by item on `name`, other lists are replaced; directive keys
  (`$setElementOrder/...`, `$retainKeys`, `$patch`) are ignored. That is enough for what kubectl sends for
  `set image`, `rollout restart`, `label`, `annotate`, `scale` and `patch -p '{...}'`.
- `application/json-patch+json`: RFC 6902 (add, remove, replace, move, copy, test).
"""

from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    """The patch document is malformed or cannot be applied to the object."""


def merge_patch(target: Any, patch: Any, strategic: bool = False) -> Any:
    """Return `target` with the merge patch applied (inputs are not modified)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if strategic and key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif strategic and _named_list(value) and _named_list(result.get(key)):
            result[key] = _merge_named_lists(result[key], value)
        else:
            result[key] = merge_patch(result.get(key), value, strategic)
    return result


def _named_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) and "name" in item for item in value)


def _merge_named_lists(current: list[dict[str, Any]], patch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = [copy.deepcopy(item) for item in current]
    index = {item["name"]: i for i, item in enumerate(merged)}
    for item in patch:
        if item.get("$patch") == "delete":
            merged = [m for m in merged if m["name"] != item["name"]]
            index = {m["name"]: i for i, m in enumerate(merged)}
        elif item["name"] in index:
            merged[index[item["name"]]] = merge_patch(merged[index[item["name"]]], item, strategic=True)
        else:
            index[item["name"]] = len(merged)
            merged.append(merge_patch({}, item, strategic=True))
    return merged


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, tokens: list[str], path: str) -> tuple[Any, str]:
    if not tokens:
        raise PatchError(f"cannot operate on the whole document at {path!r}")
    node = doc
    for token in tokens[:-1]:
        node = _child(node, token, path)
    return node, tokens[-1]


def _child(node: Any, token: str, path: str) -> Any:
    try:
        if isinstance(node, list):
            return node[int(token)]
        return node[token]
    except (KeyError, IndexError, ValueError, TypeError):
        raise PatchError(f"path {path!r} does not exist") from None


def _get(doc: Any, path: str) -> Any:
    node = doc
    for token in _pointer(path):
        node = _child(node, token, path)
    return node


def _add(doc: Any, path: str, value: Any) -> None:
    parent, last = _parent(doc, _pointer(path), path)
    if isinstance(parent, list):
        index = len(parent) if last == "-" else _index(last, len(parent) + 1, path)
        parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise PatchError(f"cannot add at {path!r}")


def _remove(doc: Any, path: str) -> Any:
    parent, last = _parent(doc, _pointer(path), path)
    if isinstance(parent, list):
        return parent.pop(_index(last, len(parent), path))
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    raise PatchError(f"path {path!r} does not exist")


def _index(token: str, size: int, path: str) -> int:
    if not token.isdigit() or int(token) >= size:
        raise PatchError(f"bad array index in {path!r}")
    return int(token)


def json_patch(target: Any, operations: Any) -> Any:
    """Return `target` with the RFC 6902 operations applied (the input is not modified)."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"malformed JSON patch operation {op!r}")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"operation {kind} at {path!r} needs a value")
        if kind == "add":
            _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _remove(doc, path)
            _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "move":
            _add(doc, path, _remove(doc, op["from"]))
        elif kind == "copy":
            _add(doc, path, copy.deepcopy(_get(doc, op["from"])))
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise PatchError(f"test operation failed at {path!r}")
        else:
            raise PatchError(f"unknown JSON patch operation {kind!r}")
    return doc
