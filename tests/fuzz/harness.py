"""Run the `opsbook` CLI in-process on fuzzed input and check the promise: exit 0-3, no traceback,
every error exactly one line. Plus the mutators that turn a valid file into a broken one."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import yaml
from hypothesis import strategies as st

from opsbook.cli.main import main

ALLOWED_EXIT = {0, 1, 2, 3}


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def assert_clean(args: tuple[str, ...], code: int, err: str, *, one_error: bool) -> None:
    """The CLI kept its promise: a documented exit code, no traceback, each error line `error: ...`
    (`one_error`: a failing command printed exactly one line)."""
    context = f"opsbook {' '.join(args)} -> {code}\n{err}"
    assert code in ALLOWED_EXIT, context
    assert "Traceback" not in err and "internal error" not in err, context
    lines = err.splitlines()
    assert all(line.startswith("error: ") for line in lines), context
    if one_error and code != 0:
        assert len(lines) == 1, context


# Scalars and text that YAML (and opsbook) find awkward.
NASTY_TEXT = [
    "\u2028", "\u2029", "\x85", "\r", "\n", "\t", "\x00", "\x1b[31m", "\ufeff", "\ud800", "\u202e",
    "[/x]", "[bold]", "{{ .vars.x }}", "{{", "%", "'", '"', "\\", "&a", "*a", "!!python/object:os.system",
    "!include /etc/hostname", "!env HOME", "!unset", "<<", "~", "null", "yes", "0x1F", "1e999", "-.inf",
    "9" * 40, "é", "🙂",
]  # fmt: skip

texts = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=20))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), texts)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(texts, st.integers()), inner, max_size=4)
    ),
    max_leaves=12,
)

# Raw YAML snippets: anchors and aliases, tags, deep nesting, duplicate keys, odd documents.
SNIPPETS = [
    "a: &a [1, *a]\n", "x: *nope\n", "k: 1\nk: 2\n", "? [1, 2]\n: 3\n", "--- 1\n--- 2\n",
    "!!python/object/apply:os.system [true]\n", "a: !!binary bad==\n", "a: !!timestamp 2024-99-99\n",
    "a: " + "[" * 300 + "]" * 300 + "\n", "<<: *x\n", "a: !include\n", "a: !append {}\n", "%YAML 9.9\n---\n",
    "a: &b {x: 1}\nc: {<<: *b, <<: *b}\n", "\t- tab\n", "a: 'unterminated\n", "a: !!int x\n",
]  # fmt: skip


@st.composite
def mutated_text(draw: st.DrawFn, original: str) -> bytes:
    """A few random edits of `original`: delete, insert junk or a snippet, duplicate or swap lines."""
    lines = original.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "insert", "snippet", "duplicate", "swap", "splice"]))
        if op == "delete":
            del lines[i]
        elif op == "insert":
            lines.insert(i, draw(texts) + draw(st.sampled_from(["", "\n"])))
        elif op == "snippet":
            indent = " " * draw(st.sampled_from([0, 2, 4]))
            lines.insert(i, "".join(indent + s for s in draw(st.sampled_from(SNIPPETS)).splitlines(True)))
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(texts) + line[at:]
    return "".join(lines).encode("utf-8", "surrogatepass")


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_data(draw: st.DrawFn, original: str) -> bytes:
    """`original` parsed, one value replaced by (or one key added with) a random value, dumped again."""
    data = yaml.safe_load(original) or {}
    path = draw(st.sampled_from(_paths(data)))
    value = draw(values)
    if not path:
        data = value
    else:
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent[draw(texts)] = value
        else:
            parent[path[-1]] = value
    text = yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=False)
    return text.encode("utf-8", "surrogatepass")


def broken_yaml(original: str) -> st.SearchStrategy[bytes]:
    """Every way the fuzz suite breaks a YAML file: random bytes, random YAML, text and data mutations."""
    return st.one_of(
        st.binary(max_size=300),
        values.map(lambda v: yaml.safe_dump(v, allow_unicode=True).encode("utf-8", "surrogatepass")),
        mutated_text(original),
        mutated_data(original),
    )
