"""Set one scalar in a YAML file's text, keeping everything else byte for byte (comments, quoting, order).

`set_value(text, keys, value, where=...)` walks the mapping keys `keys` in the document `doc`:
- the key exists and holds a one-line scalar: only that scalar's characters change, in the quoting style
  it had (plain, 'single', "double"; a plain string that would read back as something else is quoted);
- the key is missing: the missing keys are inserted as new lines at the end of the deepest existing block
  mapping, indented like its keys (nested keys two spaces further);
- refused (EditError, naming file:line): a YAML tag (`!include`, `!env`, ...), an anchor or alias, a merge
  key (`<<`), a block or multi-line scalar, a list on the way, inserting into a flow mapping (`{a: 1}`).
The result is parsed again and must equal the old document with exactly that one value changed.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from opsbook.core.errors import InputError
from opsbook.core.yamlfile import printable

SCALARS = (str, int, float, bool, type(None))


class EditError(InputError):
    """The file cannot be edited safely at that place; the message names file:line and why."""


class _Tolerant(yaml.SafeLoader):
    """Reads documents with any tag (as its plain value) to compare a file before and after an edit."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return ("!" + suffix, loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return ("!" + suffix, loader.construct_sequence(node, deep=True))
    return ("!" + suffix, loader.construct_scalar(node))  # type: ignore[arg-type]


_Tolerant.add_multi_constructor("!", _any_tag)


def documents(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_Tolerant))  # noqa: S506 - a SafeLoader subclass


def render(value: Any, style: str | None = None, flow: bool = False) -> str:
    """`value` as a YAML scalar: strings in `style` (None plain when that reads back the same, else "...")."""
    if not isinstance(value, str):
        if isinstance(value, bool) or value is None:
            return {True: "true", False: "false", None: "null"}[value]
        return repr(value) if isinstance(value, float) else str(value)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and value and value == value.strip() and _reads_back(value, flow):
        return value
    return json.dumps(value, ensure_ascii=False)


def _reads_back(text: str, flow: bool) -> bool:
    if "\n" in text or "#" in text or (flow and any(c in text for c in ",[]{}")):
        return False
    try:
        return bool(yaml.safe_load(f"k: {text}\n") == {"k": text})
    except yaml.YAMLError:
        return False


def _refuse(where: str, node: yaml.Node, why: str) -> EditError:
    return EditError(f"{where}:{node.start_mark.line + 1}: {why}; edit this file by hand")


class _Composer(_Tolerant):
    """Remembers the nodes that carry an anchor or are reached through an alias."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.shared: set[int] = set()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        node = super().compose_node(parent, index)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            self.shared.add(id(node))
        return node


def _check_node(where: str, node: yaml.Node, key: Any, shared: set[int]) -> None:
    if node.tag and node.tag.startswith("!") and not node.tag.startswith("!!"):
        raise _refuse(where, node, f"{key!r} is set by the YAML function {node.tag}")
    if id(node) in shared:
        raise _refuse(where, node, f"{key!r} is an anchor or alias (other places share it)")


def _entry(where: str, mapping: yaml.MappingNode, key: Any) -> yaml.Node | None:
    for key_node, value_node in mapping.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise _refuse(where, key_node, "the mapping uses a merge key (<<)")
        if isinstance(key_node, yaml.ScalarNode) and _Tolerant("").construct_object(key_node) == key:
            return value_node
    return None


def _compose(text: str, where: str, doc: int) -> tuple[yaml.Node, set[int]]:
    loader = _Composer(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
    except yaml.YAMLError as exc:
        raise EditError(f"{where}: not valid YAML: {printable(str(exc))}") from None
    finally:
        loader.dispose()
    node = nodes[doc] if doc < len(nodes) else None
    if node is None:
        raise EditError(f"{where}: has no YAML document {doc + 1}")
    return node, loader.shared


def set_value(text: str, keys: tuple[Any, ...], value: Any, *, where: str = "<yaml>", doc: int = 0) -> str:
    """`text` with the scalar at `keys` (in document `doc`) set to `value`; see the module doc."""
    if not isinstance(value, SCALARS):
        raise EditError(f"{where}: only a single value (string, number, boolean, null) can be set")
    node, shared = _compose(text, where, doc)
    for depth, key in enumerate(keys):
        if not isinstance(node, yaml.MappingNode):
            if isinstance(node, yaml.ScalarNode) and node.value == "" and node.tag.endswith(":null"):
                return _check(
                    text, _insert_under_null(text, node, keys, depth, value), keys, value, where, doc
                )
            raise _refuse(where, node, f"{'.'.join(map(str, keys[:depth]))} is not a mapping")
        child = _entry(where, node, key)
        if child is None:
            return _check(text, _insert(text, node, keys[depth:], value, where), keys, value, where, doc)
        _check_node(where, child, key, shared)
        node = child
    if not isinstance(node, yaml.ScalarNode):
        raise _refuse(where, node, f"{'.'.join(map(str, keys))} holds a {_kind(node)}, not a single value")
    if node.style in ("|", ">") or node.start_mark.line != node.end_mark.line:
        raise _refuse(where, node, "the value spans several lines (a block or folded scalar)")
    style = node.style if node.style in ("'", '"') else None
    flow = _in_flow(text, node)
    new = render(value, style if isinstance(value, str) else None, flow)
    edited = text[: node.start_mark.index] + new + text[node.end_mark.index :]
    return _check(text, edited, keys, value, where, doc)


def _kind(node: yaml.Node) -> str:
    return "list" if isinstance(node, yaml.SequenceNode) else "mapping"


def _in_flow(text: str, node: yaml.Node) -> bool:
    """Whether the scalar sits inside `{...}` or `[...]` on its line (a flow collection)."""
    line_start = text.rfind("\n", 0, node.start_mark.index) + 1
    before = text[line_start : node.start_mark.index]
    return before.count("{") + before.count("[") > before.count("}") + before.count("]")


def _lines(keys: tuple[Any, ...], value: Any, indent: int, step: int) -> str:
    out = []
    for i, key in enumerate(keys):
        pad = " " * (indent + i * step)
        tail = f" {render(value)}" if i == len(keys) - 1 else ""
        out.append(f"{pad}{render(key)}:{tail}\n")
    return "".join(out)


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _last_line_end(text: str, node: yaml.Node) -> int:
    """The end of the last line that belongs to `node` (block collections end at the next token)."""
    last = node
    while isinstance(last, (yaml.MappingNode, yaml.SequenceNode)) and last.value:
        last = last.value[-1][1] if isinstance(last, yaml.MappingNode) else last.value[-1]
    mark = last.end_mark
    if mark.column == 0 and mark.index > 0:
        return mark.index
    return _line_end(text, mark.index)


def _insert(text: str, mapping: yaml.MappingNode, keys: tuple[Any, ...], value: Any, where: str) -> str:
    if mapping.flow_style or text[mapping.start_mark.index : mapping.start_mark.index + 1] == "{":
        raise _refuse(where, mapping, "the new key would go into a flow mapping ({...})")
    if not mapping.value:
        raise _refuse(where, mapping, "the mapping is empty ({})")
    indent = mapping.value[0][0].start_mark.column
    step = _step(mapping, indent)
    at = _last_line_end(text, mapping)
    prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
    return text[:at] + prefix + _lines(keys, value, indent, step) + text[at:]


def _step(mapping: yaml.MappingNode, indent: int) -> int:
    """The file's indentation step, from the first nested block mapping found (else 2)."""
    for _k, v in mapping.value:
        if isinstance(v, yaml.MappingNode) and v.value and not v.flow_style:
            col = v.value[0][0].start_mark.column
            if col > indent:
                return col - indent
    return 2


def _insert_under_null(
    text: str, node: yaml.ScalarNode, keys: tuple[Any, ...], depth: int, value: Any
) -> str:
    """`key:` with nothing after it: the new keys go on the following lines, two spaces further in."""
    line_start = text.rfind("\n", 0, node.start_mark.index) + 1
    key_col = len(text[line_start:]) - len(text[line_start:].lstrip(" "))
    at = _line_end(text, node.start_mark.index)
    prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
    return text[:at] + prefix + _lines(keys[depth:], value, key_col + 2, 2) + text[at:]


def _set(data: Any, keys: tuple[Any, ...], value: Any) -> Any:
    if not keys:
        return value
    out = dict(data) if isinstance(data, dict) else {}
    out[keys[0]] = _set(out.get(keys[0]), keys[1:], value)
    return out


def _check(old: str, new: str, keys: tuple[Any, ...], value: Any, where: str, doc: int) -> str:
    """The edit changed exactly `keys` to `value` in document `doc` and nothing else."""
    before, after = documents(old), documents(new)
    want = list(before)
    want[doc] = _set(before[doc], keys, value)
    if after != want:
        raise EditError(f"{where}: editing {'.'.join(map(str, keys))} would change more than that value")
    return new
