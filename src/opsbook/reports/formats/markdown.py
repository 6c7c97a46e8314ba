"""`--format markdown`: the page a human reads in a PR, a wiki or a ticket (reports/markdown.py)."""

from __future__ import annotations

from opsbook.reports import markdown as page
from opsbook.reports.model import Report

suffix = ".md"
media_type = "text/markdown"


def render(report: Report) -> str:
    return page.render(report)
