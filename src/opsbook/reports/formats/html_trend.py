"""The trend's inline SVG sparkline (nothing fetched): the HTML report's Trend table draws one per check
(formats/html.py), the web app's runs page one per scope (web/charts.py)."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH, HEIGHT, PAD = 120, 24, 3


def sparkline(values: Sequence[int | None]) -> str:
    """An inline SVG line of `values` (oldest first), scaled to the largest; a None (the check did not run)
    breaks the line; the last value gets a dot. Its <title> lists the values for a reader and a tooltip.
    Drawn in the text colour by presentation attributes, so it needs no stylesheet (nor a CSP exception)."""
    top = max((v for v in values if v is not None), default=0) or 1
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    segments: list[list[str]] = [[]]
    last = ""
    for i, v in enumerate(values):
        if v is None:
            segments.append([])
            continue
        x, y = round(PAD + i * step, 1), round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top, 1)
        segments[-1].append(f"{x},{y}")
        last = f'<circle cx="{x}" cy="{y}" r="2" fill="currentColor"/>'
    lines = "".join(
        f'<polyline points="{" ".join(s)}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        for s in segments
        if len(s) > 1
    )
    said = ", ".join("-" if v is None else str(v) for v in values)
    return (
        f'<svg class="sparkline" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="failing per run, oldest first: {said}">'
        f"<title>failing per run, oldest first: {said}</title>{lines}{last}</svg>"
    )
