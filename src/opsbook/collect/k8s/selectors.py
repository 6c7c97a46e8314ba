"""Label selectors (`app=myapp`, `tier!=db`, `env in (a,b)`, `env notin (c)`, `key`, `!key`) matched
locally against already-collected pods, so log review needs no second pod listing."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_SET = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)\s*$")
_KEY = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*$")

Matcher = Callable[[Mapping[str, str]], bool]


def _split(selector: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def _term(text: str) -> Matcher:
    if m := _SET.match(text):
        key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if m := _EQ.match(text):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _KEY.match(text):
        negate, key = m.groups()
        return (lambda labels: key not in labels) if negate else (lambda labels: key in labels)
    raise ValueError(f"invalid label selector term {text.strip()!r}")


def compile_selector(selector: str) -> Matcher:
    """A predicate over a labels mapping; raises ValueError for a malformed selector."""
    terms = [_term(t) for t in _split(selector)]
    if not terms:
        raise ValueError("empty label selector")
    return lambda labels: all(t(labels) for t in terms)
