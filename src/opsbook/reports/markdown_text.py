"""Text from a run made safe for a Markdown page: a renderer passes raw HTML through and turns `![x](url)`
into an image it fetches, so a resource name like `<script>` or `![x](https://...)` must reach the page as
text (shared by opsbook's Markdown pages)."""

from __future__ import annotations

from typing import Any

# `\` first, so the escapes added after it stay escapes
_ESCAPES = (
    ("\\", "\\\\"),
    ("&", "&amp;"),
    ("<", "&lt;"),
    ("`", "\\`"),
    ("[", "\\["),
    ("|", "\\|"),
    ("\r", " "),
    ("\n", " "),
)


def cell(text: Any, *, code_spans: bool = False) -> str:
    """One table cell or line of text, one line, that reads back as written: `&` and `<` as entities (no
    tag or autolink can start; `>` alone starts nothing mid-line, so `CPU 92% > 85%` stays readable), `[`
    escaped (no link or image), a backtick escaped (no code span, inside which the entities would show),
    `|` escaped (no new cell) and `\\` escaped (a regex like `^1\\.[0-9]+$` keeps its backslash).
    `code_spans`: the text is opsbook's own line that writes commands as `code` (an incident's action
    note), so its backticks are left as they are."""
    out = str(text)
    for raw, escaped in _ESCAPES:
        if not (code_spans and raw == "`"):
            out = out.replace(raw, escaped)
    return out


def code(text: Any) -> str:
    """A code span: its text is shown as it is, so only a backtick (which would end it) and line breaks
    change (a Terraform address, a file path, an attribute name)."""
    return "`" + str(text).replace("`", "'").replace("\r", " ").replace("\n", " ") + "`"
