"""YAML loading that remembers where every value came from, for one-line file:line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from opsbook.core.errors import InputError


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


def _walk(node: yaml.Node, loc: tuple[Any, ...], marks: dict[tuple[Any, ...], tuple[int, int]]) -> None:
    marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            marks[loc + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, loc + (key,), marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, loc + (i,), marks)


def yaml_error_line(path: Path | str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"{path}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {problem}"
    return f"{path}: invalid YAML: {problem}"


def load_located(path: Path, error: type[Exception] = InputError) -> Located:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(yaml_error_line(path, exc)) from None
    marks: dict[tuple[Any, ...], tuple[int, int]] = {}
    if node is not None:
        _walk(node, (), marks)
    return Located(path, data, marks)
