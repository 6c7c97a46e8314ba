"""A trend as a small inline SVG: the HTML report's sparkline (reports/formats/html_trend.py; numbers only go
in, so nothing to escape; no script, no style attribute, so the CSP allows it)."""

from __future__ import annotations

from markupsafe import Markup

from opsbook.reports.formats.html_trend import sparkline as svg


def sparkline(values: list[int]) -> Markup:
    return Markup(svg(values)) if values else Markup("")  # svg() writes numbers only
