"""A small, strict subset of Go templates (enough for stack name templates and `{{ .vars.x }}` values).

Supported inside `{{ }}` (with `{{-`/`-}}` trimming and `{{/* comments */}}`):
  field paths `.vars.stage`, `.settings.a.b`, `.` ; literals "str", `raw`, 'c', numbers, true/false;
  pipelines `a | f x`; functions default, lower, upper, title, trim, trimPrefix, trimSuffix, replace,
  quote, squote, toString, printf (only %s/%d/%v), env.
Everything else (if/range/with, variables, atmos.Component, gomplate...) raises `TemplateError` that names
the feature, so nothing is silently skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any


class TemplateError(Exception):
    """Raised with a short reason; callers prefix the file:line they know."""


class _Missing:
    def __init__(self, path: str) -> None:
        self.path = path


_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")|(?P<raw>`[^`]*`)|(?P<chr>'(?:[^'\\]|\\.)')|
      (?P<num>-?\d+(?:\.\d+)?)|(?P<pipe>\|)|(?P<lp>\()|(?P<rp>\))|
      (?P<field>\.[A-Za-z0-9_.\-]*)|(?P<var>\$[A-Za-z0-9_]*)|(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)|(?P<other>\S)
    )""",
    re.X,
)
_KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"}


def _unquote(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    body = token[1:-1]
    return bytes(body, "utf-8").decode("unicode_escape") if "\\" in body else body


def _text(value: Any) -> str:
    if isinstance(value, _Missing):
        raise TemplateError(f"references missing value {value.path}")
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<no value>"
    return str(value)


def _printf(fmt: Any, *args: Any) -> str:
    values = [_text(a) for a in args]
    parts = re.split(r"(%[sdv%])", _text(fmt))
    out, i = [], 0
    for part in parts:
        if part == "%%":
            out.append("%")
        elif part in ("%s", "%d", "%v"):
            if i >= len(values):
                raise TemplateError("printf has fewer arguments than verbs")
            out.append(values[i])
            i += 1
        elif re.search(r"%[a-zA-Z]", part):
            raise TemplateError(f"printf verb in {part!r} is not supported (only %s %d %v)")
        else:
            out.append(part)
    return "".join(out)


def _default(fallback: Any, value: Any = None) -> Any:
    if isinstance(value, _Missing) or value in (None, "", [], {}, 0, False):
        return fallback
    return value


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "default": _default,
    "lower": lambda s: _text(s).lower(),
    "upper": lambda s: _text(s).upper(),
    "title": lambda s: _text(s).title(),
    "trim": lambda s: _text(s).strip(),
    "trimPrefix": lambda p, s: _text(s).removeprefix(_text(p)),
    "trimSuffix": lambda p, s: _text(s).removesuffix(_text(p)),
    "replace": lambda old, new, s: _text(s).replace(_text(old), _text(new)),
    "quote": lambda s: '"' + _text(s) + '"',
    "squote": lambda s: "'" + _text(s) + "'",
    "toString": _text,
    "printf": _printf,
    "env": lambda name: os.environ.get(_text(name), ""),
}


def _lookup(context: Any, path: str) -> Any:
    if path == ".":
        return context
    value = context
    for part in path.strip(".").split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _Missing(path)
    return value


def _tokens(expr: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            break
        kind = m.lastgroup or "other"
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Eval:
    def __init__(self, tokens: list[tuple[str, str]], context: Any) -> None:
        self.tokens = tokens
        self.pos = 0
        self.context = context

    def pipeline(self, stop: str | None = None) -> Any:
        value = self.command(None)
        while self.pos < len(self.tokens) and self.tokens[self.pos][0] == "pipe":
            self.pos += 1
            value = self.command(value, piped=True)
        if stop is None and self.pos < len(self.tokens):
            raise TemplateError(f"unexpected {self.tokens[self.pos][1]!r}")
        return value

    def operand(self) -> Any:
        kind, tok = self.tokens[self.pos]
        self.pos += 1
        if kind in ("str", "raw", "chr"):
            return _unquote(tok)
        if kind == "num":
            return float(tok) if "." in tok else int(tok)
        if kind == "field":
            return _lookup(self.context, tok)
        if kind == "lp":
            value = self.pipeline(stop=")")
            if self.pos >= len(self.tokens) or self.tokens[self.pos][0] != "rp":
                raise TemplateError("unbalanced parentheses")
            self.pos += 1
            return value
        if kind == "ident" and tok in ("true", "false"):
            return tok == "true"
        if kind == "ident" and tok == "nil":
            return None
        if kind == "var":
            raise TemplateError(f"template variables ({tok}) are not supported by opsbook")
        if kind == "ident":
            if tok not in FUNCTIONS:
                raise TemplateError(f"function {tok!r} is not supported by opsbook")
            return self.call(tok, [], None)
        raise TemplateError(f"unexpected {tok!r}")

    def call(self, name: str, args: list[Any], piped: Any) -> Any:
        try:
            return FUNCTIONS[name](*args, *([] if piped is None else [piped]))
        except TypeError:
            raise TemplateError(f"wrong number of arguments to {name}") from None

    def command(self, value_in: Any, piped: bool = False) -> Any:
        if self.pos >= len(self.tokens):
            raise TemplateError("empty command")
        kind, tok = self.tokens[self.pos]
        if kind == "ident" and tok in _KEYWORDS:
            raise TemplateError(f"the {tok!r} action is not supported by opsbook")
        if kind == "ident" and tok not in ("true", "false", "nil"):
            if tok not in FUNCTIONS:
                raise TemplateError(f"function {tok!r} is not supported by opsbook")
            self.pos += 1
            args = []
            while self.pos < len(self.tokens) and self.tokens[self.pos][0] not in ("pipe", "rp"):
                args.append(self.operand())
            return self.call(tok, args, value_in if piped else None)
        if piped:
            raise TemplateError(f"cannot pipe into {tok!r}")
        value = self.operand()
        if self.pos < len(self.tokens) and self.tokens[self.pos][0] not in ("pipe", "rp"):
            raise TemplateError(f"unexpected {self.tokens[self.pos][1]!r} after {tok!r}")
        return value


def render(text: str, context: Any) -> str:
    """Render `text` against `context`; raise TemplateError naming what is missing or unsupported."""
    if "{{" not in text:
        return text
    out: list[str] = []
    pos = 0
    for m in _ACTION.finditer(text):
        chunk = text[pos : m.start()]
        if m.group(1):
            chunk = chunk.rstrip()
        out.append(chunk)
        expr = m.group(2).strip()
        pos = m.end()
        if m.group(3):
            rest = text[pos:]
            pos += len(rest) - len(rest.lstrip())
        if expr.startswith("/*"):
            continue
        tokens = _tokens(expr)
        if not tokens:
            raise TemplateError("empty action {{ }}")
        out.append(_text(_Eval(tokens, context).pipeline()))
    out.append(text[pos:])
    result = "".join(out)
    if "{{" in result and _ACTION.search(result) is None:
        raise TemplateError("unclosed action '{{'")
    return result


def has_template(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value
