"""Doublestar globs, matched the way Atmos matches `stacks.included_paths`, `excluded_paths` and imports.

Atmos uses the doublestar rules (github.com/bmatcuk/doublestar):
- `**` as a whole path segment matches zero or more segments: `**/x` matches `x` and `a/b/x`,
  `a/**/x` matches `a/x`, and `a/**` matches `a` and everything under it. `**` inside a segment
  (`abc**`) is a plain `*`.
- `*` matches any run of characters except `/`; `?` one character except `/`.
- `[abc]`, `[a-z]`, `[^a]` / `[!a]`: one character (never `/`) from, or not from, a class.
- `{a,b}`: one of the alternatives, which may hold `/` and nest.
- `\\` escapes the next character.

A pattern is matched against a whole path. `glob` and `matches` take a pattern relative to a base
directory, as Atmos joins both lists to `stacks.base_path` (`..` allowed, an absolute pattern stays).
"""

from __future__ import annotations

import os
import posixpath
import re
from functools import lru_cache
from pathlib import Path

META = frozenset("*?[{\\")


class GlobError(ValueError):
    """A pattern doublestar refuses (an unclosed `[` or `{`, an empty class, a trailing `\\`)."""


class _Translator:
    """One pattern -> one regular expression over `/`-separated paths."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0

    def run(self) -> str:
        return self._seq(0)

    def _at_segment_end(self, j: int, depth: int) -> bool:
        return j >= len(self.p) or self.p[j] == "/" or (depth > 0 and self.p[j] in ",}")

    def _closing_globstar(self, j: int, depth: int) -> bool:
        """`**` at j ends the pattern (or the alternative it is in)."""
        if self.p[j : j + 2] != "**":
            return False
        end = j + 2
        return end >= len(self.p) or (depth > 0 and self.p[end] in ",}")

    def _seq(self, depth: int) -> str:
        p, out = self.p, []
        while self.i < len(p):
            c = p[self.i]
            if depth and c in ",}":
                break
            if c == "\\":
                if self.i + 1 >= len(p):
                    raise GlobError("ends with a lone backslash")
                out.append(re.escape(p[self.i + 1]))
                self.i += 2
            elif c == "*":
                out.append(self._stars(depth))
            elif c == "?":
                out.append("[^/]")
                self.i += 1
            elif c == "[":
                out.append(self._class())
            elif c == "{":
                out.append(self._alternatives(depth))
            elif c == "/" and self._closing_globstar(self.i + 1, depth):
                out.append("(?:/.*)?")  # `a/**`: `a` itself or anything under it
                self.i += 3
            else:
                out.append(re.escape(c))
                self.i += 1
        return "".join(out)

    def _stars(self, depth: int) -> str:
        p, start = self.p, self.i
        while self.i < len(p) and p[self.i] == "*":
            self.i += 1
        whole_left = start == 0 or p[start - 1] == "/" or (depth > 0 and p[start - 1] in "{,")
        if self.i - start >= 2 and whole_left and self._at_segment_end(self.i, depth):
            if self.i < len(p) and p[self.i] == "/":
                self.i += 1
                return "(?:.*/)?"  # `**/`: zero or more directories
            return ".*"
        return "[^/]*"

    def _class_char(self) -> str:
        p = self.p
        if p[self.i] == "\\":
            self.i += 1
            if self.i >= len(p):
                raise GlobError("unclosed character class '['")
        ch = p[self.i]
        self.i += 1
        return ch

    def _class(self) -> str:
        p = self.p
        self.i += 1
        negate = self.i < len(p) and p[self.i] in "^!"
        if negate:
            self.i += 1
        items: list[str] = []
        while True:
            if self.i >= len(p):
                raise GlobError("unclosed character class '['")
            if p[self.i] == "]":
                if not items:
                    raise GlobError("empty character class '[]'")
                self.i += 1
                break
            low = self._class_char()
            if self.i + 1 < len(p) and p[self.i] == "-" and p[self.i + 1] != "]":
                self.i += 1
                high = self._class_char()
                if high < low:
                    raise GlobError(f"character range {low}-{high} is backwards")
                items.append(f"{re.escape(low)}-{re.escape(high)}")
            else:
                items.append(re.escape(low))
        body = "".join(items)
        return f"[^{body}/]" if negate else f"(?!/)[{body}]"

    def _alternatives(self, depth: int) -> str:
        self.i += 1
        options: list[str] = []
        while True:
            options.append(self._seq(depth + 1))
            if self.i >= len(self.p):
                raise GlobError("unclosed alternatives '{'")
            closing = self.p[self.i] == "}"
            self.i += 1
            if closing:
                break
        return "(?:" + "|".join(options) + ")"


@lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The regular expression for a doublestar `pattern`; GlobError if doublestar would refuse it."""
    return re.compile(_Translator(pattern).run() + r"\Z", re.DOTALL)


def match(pattern: str, path: str) -> bool:
    """Does the `/`-separated `path` match the doublestar `pattern` as a whole?"""
    return compile_glob(pattern).match(path) is not None


def is_glob(pattern: str) -> bool:
    return any(ch in META for ch in pattern)


def split_root(base: Path, pattern: str) -> tuple[Path, str]:
    """The literal directory `pattern` (relative to `base`) starts in, and the rest of the pattern.

    Like Atmos's `filepath.Join(base, pattern)` the pattern is cleaned first (`./`, `//`, `x/..`)."""
    cleaned = posixpath.normpath(pattern.replace(os.sep, "/"))
    root = Path("/") if cleaned.startswith("/") else base
    segments = [s for s in cleaned.split("/") if s]
    literal = 0
    while literal < len(segments) - 1 and not is_glob(segments[literal]):
        literal += 1
    for segment in segments[:literal]:
        root = root.parent if segment == ".." else root / segment
    return root, "/".join(segments[literal:])


def glob(base: Path, pattern: str) -> list[Path]:
    """Files under `base` matching `pattern` (relative to `base`), sorted; symlinked directories are
    followed once each."""
    root, rest = split_root(base, pattern)
    if not is_glob(rest):
        return [root / rest] if (root / rest).is_file() else []
    if not root.is_dir():
        return []
    regex = compile_glob(rest)
    # without `**` or `{...}` a pattern of n segments looks n-1 directories deep at most
    max_depth = None if ("**" in rest or "{" in rest) else rest.count("/")
    found: list[Path] = []
    seen: set[str] = set()
    for current, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(current)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        rel_dir = Path(current).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        if max_depth is not None and prefix.count("/") >= max_depth:
            dirs[:] = []
        found.extend(Path(current) / f for f in files if regex.match(prefix + f))
    return sorted(found, key=lambda p: p.as_posix())


def matches(base: Path, pattern: str, path: Path) -> bool:
    """Does the file `path` match `pattern` (relative to `base`)?"""
    root, rest = split_root(base, pattern)
    rel = os.path.relpath(path, root).replace(os.sep, "/")
    if rel == ".." or rel.startswith("../"):
        return False
    return match(rest, rel)
