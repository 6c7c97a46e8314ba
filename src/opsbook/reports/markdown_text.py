"""Text from a run made safe for a Markdown page: a renderer passes raw HTML through and a backtick ends a
code span, so a resource name like `<script>` must reach the page as text (shared by the Markdown pages)."""

from __future__ import annotations

from html import escape
from typing import Any


def cell(text: Any) -> str:
    """One table cell or line of text: HTML-escaped, `|` escaped, one line."""
    return escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def code(text: Any) -> str:
    """A code span: its text is shown as is, so only a backtick (which would end it) and line ends change."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"
