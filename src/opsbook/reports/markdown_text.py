"""Text from a run made safe for a Markdown page: a renderer passes raw HTML through and a backtick ends a
code span, so a resource name like `<script>` must reach the page as text (shared by the Markdown pages)."""

from __future__ import annotations

from typing import Any


def cell(text: Any) -> str:
    """One table cell or line of text, one line: `&` and `<` as entities (no tag can start, and the text
    reads back as written; `>` alone starts nothing mid-line, so `CPU 92% > 85%` stays readable), `|`
    escaped."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")

