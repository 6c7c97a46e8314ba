"""Safe YAML loading for every file a user hands opsbook (opsbook.yaml, Atmos manifests).

`SafeLoader` is PyYAML's safe loader with the rules a hostile or careless file needs: duplicate mapping
keys are rejected (with both places), alias expansion is bounded (uses and expanded nodes, so a
"billion laughs" fails at once), nesting depth is bounded (no RecursionError later), an alias may not
point into itself, and non-UTF-8 input names the byte offset. Every error is one line,
`file:line:col: ...`, of the error type the caller asks for. `load_located` also remembers the
line/column of every path in the data so later (schema) errors can name it too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.reader import ReaderError

from opsbook.core.errors import InputError

MAX_DEPTH = 128  # nesting levels of mappings/sequences in one document
MAX_ALIASES = 10_000  # alias uses (`*name`) in one document
MAX_ALIAS_NODES = 100_000  # nodes that alias uses add to the expanded document

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` with every character that could split a line or corrupt a terminal escaped
    (newlines, U+2028/U+2029/U+0085, other control and format characters, lone surrogates)."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def quoted(value: Any) -> str:
    """A user-supplied key or value for an error message: quoted, on one line."""
    return "'" + printable(str(value)) + "'"


class YamlRuleError(yaml.MarkedYAMLError):
    """Valid YAML that breaks one of opsbook's loading rules (duplicate key, too deep, alias bomb)."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


def _at(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}:{mark.column + 1}"


class SafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader plus duplicate-key, depth and alias-expansion limits, applied while composing."""

    max_depth = MAX_DEPTH
    max_aliases = MAX_ALIASES
    max_alias_nodes = MAX_ALIAS_NODES

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._alias_nodes = 0
        self._sizes: dict[int, int] = {}  # id(node) -> size of its expansion, once composed

    def compose_node(self, parent: yaml.Node | None, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._count_alias(self.peek_event())
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                mark = self.peek_event().start_mark
                raise YamlRuleError(f"nested deeper than {self.max_depth} levels", mark)
            node: yaml.Node = super().compose_node(parent, index)  # type: ignore[assignment]
        finally:
            self._depth -= 1
        size = 1
        for child in _children(node):
            size += self._sizes.get(id(child), 1)
        self._sizes[id(node)] = size
        return node

    def _count_alias(self, event: Any) -> None:
        target = self.anchors.get(event.anchor)
        if target is None:
            return  # PyYAML reports the undefined alias
        size = self._sizes.get(id(target))
        if size is None:
            raise YamlRuleError(
                f"alias *{printable(event.anchor)} refers to a node that contains it", event.start_mark
            )
        self._aliases += 1
        self._alias_nodes += size
        if self._aliases > self.max_aliases:
            raise YamlRuleError(f"more than {self.max_aliases} alias uses", event.start_mark)
        if self._alias_nodes > self.max_alias_nodes:
            raise YamlRuleError(
                f"aliases expand to more than {self.max_alias_nodes} nodes (an alias bomb?)", event.start_mark
            )

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node: yaml.MappingNode = super().compose_mapping_node(anchor)
        seen: dict[Any, yaml.Node] = {}
        for key_node, _value in node.value:
            key = self.key_of(key_node)
            if key is None:
                continue
            first = seen.setdefault(key, key_node)
            if first is not key_node:
                raise YamlRuleError(
                    f"duplicate key {quoted(key_node.value)} (first at {_at(first.start_mark)})",
                    key_node.start_mark,
                )
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. `!!timestamp 2024-99-99`
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            raise ConstructorError(None, None, f"invalid {tag} value: {exc}", node.start_mark) from None

    def key_of(self, node: yaml.Node) -> Any:
        """The value a scalar key node stands for (`1`, `0x1` and `1.0` are the same key), else None."""
        if not isinstance(node, yaml.ScalarNode):
            return None
        construct = self.yaml_constructors.get(node.tag)
        if node.tag.startswith("tag:yaml.org,2002:") and construct is not None:
            try:
                value = construct(self, node)
                hash(value)
                return value
            except (yaml.YAMLError, ValueError, TypeError, OverflowError):
                pass
        return (node.tag, node.value)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def yaml_error_line(path: Path | str, exc: yaml.YAMLError, text: str | None = None) -> str:
    """One line for a YAML error: `file:line:col: invalid YAML: ...` (or the broken rule)."""
    if isinstance(exc, ReaderError):
        what = f"invalid YAML: {printable(str(exc.reason))} (character #x{exc.character:04x})"
        if text is None or not isinstance(exc.position, int):
            return f"{path}: {what}"
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return f"{path}:{line}:{col}: {what}"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    if context and getattr(exc, "problem", None):
        problem = f"{context}: {problem}"
    text = (
        printable(str(problem)) if isinstance(exc, YamlRuleError) else f"invalid YAML: {printable(problem)}"
    )
    if mark is not None:
        return f"{path}:{mark.line + 1}:{mark.column + 1}: {text}"
    return f"{path}: {text}"


def read_text(path: Path, error: type[Exception] = InputError) -> str:
    """The file's text, or one-line errors: not found, cannot read, not UTF-8 at byte N."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 at byte {exc.start}") from None


@contextmanager
def _one_line_errors(path: Path | str, text: str, error: type[Exception]) -> Iterator[None]:
    try:
        yield
    except yaml.YAMLError as exc:
        raise error(yaml_error_line(path, exc, text)) from None
    except RecursionError:  # the depth bound keeps this away; never let it out as a crash
        raise error(f"{path}: nested too deeply") from None


def compose(text: str, path: Path | str, error: type[Exception] = InputError) -> yaml.Node | None:
    """The node tree of a single-document YAML text, under the `SafeLoader` rules."""
    with _one_line_errors(path, text, error):
        loader = SafeLoader(text)
        try:
            return loader.get_single_node()  # type: ignore[no-any-return]
        finally:
            loader.dispose()


class Located:
    """The result of `load_located`: the plain data plus the line/column of every path in it."""

    def __init__(self, path: Path, data: Any, marks: dict[tuple[Any, ...], tuple[int, int]]) -> None:
        self.path = path
        self.data = data
        self.marks = marks

    def where(self, loc: tuple[Any, ...]) -> str:
        """`file:line:col` of the deepest known prefix of `loc`."""
        for n in range(len(loc), -1, -1):
            mark = self.marks.get(tuple(loc[:n]))
            if mark:
                return f"{self.path}:{mark[0]}:{mark[1]}"
        return str(self.path)


def _walk(
    loader: SafeLoader, node: yaml.Node, loc: tuple[Any, ...], marks: dict[tuple[Any, ...], tuple[int, int]]
) -> None:
    marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = loader.key_of(key_node)
            key = key_node.value if key is None or isinstance(key, tuple) else key
            marks.setdefault(loc + (key,), (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            _walk(loader, value_node, loc + (key,), marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(loader, item, loc + (i,), marks)


def load_located(path: Path, error: type[Exception] = InputError) -> Located:
    """Load one YAML file safely, remembering where every value came from."""
    text = read_text(path, error)
    marks: dict[tuple[Any, ...], tuple[int, int]] = {}
    with _one_line_errors(path, text, error):
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return Located(path, None, marks)
            data = loader.construct_document(node)
            _walk(loader, node, (), marks)
        finally:
            loader.dispose()
    return Located(path, data, marks)


def load_documents(path: Path, error: type[Exception] = InputError) -> list[Any]:
    """Every document of a multi-document YAML file (a Kubernetes manifest), under the `SafeLoader` rules;
    empty documents are left out."""
    text = read_text(path, error)
    docs: list[Any] = []
    with _one_line_errors(path, text, error):
        loader = SafeLoader(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                if node is not None:
                    docs.append(loader.construct_document(node))
        finally:
            loader.dispose()
    return [d for d in docs if d is not None]
