"""A trend as a small inline SVG polyline (numbers only go in: nothing to escape, no script, no style)."""

from __future__ import annotations

from markupsafe import Markup

WIDTH, HEIGHT = 120, 24


def sparkline(values: list[int]) -> Markup:
    if not values:
        return Markup("")
    top = max(values) or 1
    step = WIDTH / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{HEIGHT - 2 - (v / top) * (HEIGHT - 4):.1f}" for i, v in enumerate(values)
    )
    return Markup(
        f'<svg class="spark" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="failing findings per run"><polyline fill="none" stroke="currentColor" stroke-width="1.5" '
        f'points="{points}"/></svg>'
    )
