"""A parser for literal `.tfvars` files (for `!include file.tfvars`).

Handles what variable files hold in practice: `name = value` lines where a value is a string, number,
bool, null, list `[..]` or object `{..}` (keys as names or strings, `=` or `:`, newline or comma separated),
with `#`, `//` and `/* */` comments and `<<EOF` heredocs. Expressions (`${..}`, function calls,
references) are refused with the file:line, since a literal file cannot hold them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from opsbook.core.errors import InputError

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r]+)|(?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)|(?P<nl>\n)|
    (?P<heredoc><<-?(?P<tag>[A-Za-z_][A-Za-z0-9_]*)\n)|
    (?P<str>"(?:[^"\\\n]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|
    (?P<name>[A-Za-z_][A-Za-z0-9_-]*)|(?P<punct>[{}\[\]=:,])|(?P<bad>.)
    """,
    re.X | re.S,
)


class _Parser:
    def __init__(self, text: str, path: Path) -> None:
        self.path = path
        self.tokens: list[tuple[str, Any, int]] = []
        pos, line = 0, 1
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            assert m is not None
            kind = m.lastgroup or "bad"
            value = m.group(0)
            if kind == "heredoc":
                tag = m.group("tag")
                end = re.compile(r"^[ \t]*" + re.escape(tag) + r"[ \t]*$", re.M).search(text, m.end())
                if end is None:
                    raise InputError(f"{path}:{line}: unterminated heredoc <<{tag}")
                body = text[m.end() : end.start()]
                self.tokens.append(("str", body, line))
                line += value.count("\n") + body.count("\n")
                pos = end.end()
                continue
            if kind == "bad":
                raise InputError(f"{path}:{line}: unexpected {value!r} in a .tfvars file")
            if kind == "str":
                if "${" in value or "%{" in value:
                    raise InputError(
                        f"{path}:{line}: template expressions in .tfvars are not supported by opsbook"
                    )
                self.tokens.append(("str", json.loads(value), line))
            elif kind == "num":
                self.tokens.append(("val", float(value) if re.search(r"[.eE]", value) else int(value), line))
            elif kind == "name":
                self.tokens.append(("name", value, line))
            elif kind in ("punct", "nl"):
                self.tokens.append((value if kind == "punct" else "nl", value, line))
            line += value.count("\n")
            pos = m.end()
        self.i = 0

    def peek(self, skip_nl: bool = True) -> tuple[str, Any, int]:
        while skip_nl and self.i < len(self.tokens) and self.tokens[self.i][0] == "nl":
            self.i += 1
        return self.tokens[self.i] if self.i < len(self.tokens) else ("eof", None, self._last_line())

    def _last_line(self) -> int:
        return self.tokens[-1][2] if self.tokens else 1

    def take(self, skip_nl: bool = True) -> tuple[str, Any, int]:
        tok = self.peek(skip_nl)
        self.i += 1
        return tok

    def fail(self, tok: tuple[str, Any, int], what: str) -> InputError:
        return InputError(
            f"{self.path}:{tok[2]}: {what} in a .tfvars file (only literal values are supported)"
        )

    def value(self) -> Any:
        tok = self.take()
        kind, val, _ = tok
        if kind in ("str", "val"):
            return val
        if kind == "name":
            if val in ("true", "false"):
                return val == "true"
            if val == "null":
                return None
            raise self.fail(tok, f"expression {val!r}")
        if kind == "[":
            items = []
            while self.peek()[0] != "]":
                items.append(self.value())
                if self.peek()[0] == ",":
                    self.take()
                elif self.peek()[0] != "]":
                    raise self.fail(self.peek(), "expected ',' or ']'")
            self.take()
            return items
        if kind == "{":
            return self.body("}")
        raise self.fail(tok, f"unexpected {val!r}")

    def body(self, end: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while self.peek()[0] != end:
            key_tok = self.take()
            if key_tok[0] not in ("name", "str"):
                raise self.fail(key_tok, f"expected a name, got {key_tok[1]!r}")
            eq = self.take()
            if eq[0] not in ("=", ":"):
                raise self.fail(eq, f"expected '=' after {key_tok[1]!r}")
            out[str(key_tok[1])] = self.value()
            nxt = self.peek(skip_nl=False)
            if nxt[0] in (",", "nl"):
                self.take(skip_nl=False)
            elif nxt[0] != end and nxt[0] != "eof":
                raise self.fail(nxt, f"unexpected {nxt[1]!r} after {key_tok[1]!r}")
        if end != "eof":
            self.take()
        return out


def load_tfvars(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return _Parser(text, path).body("eof")
