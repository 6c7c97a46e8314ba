"""The HTML report's trend: per check, its failing findings over the last runs of the scope as an inline
SVG sparkline (nothing fetched). Absent when the report has no trend (a run without a store)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from opsbook.reports.model import Report

WIDTH, HEIGHT, PAD = 120, 24, 3


def e(value: str) -> str:
    return escape(value, quote=True)


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


def trend_section(report: Report) -> list[str]:
    trend = report.trend
    if trend is None or not trend.failing:
        return []
    out = [
        "<h2>Trend</h2>",
        f"<p>Failing findings per check over the last {len(trend.run_ids)} runs of scope "
        f"<code>{e(report.scope)}</code> (oldest first, this run last; a gap: the check did not run).</p>",
        '<table id="trend"><thead><tr><th>check</th><th>failing now</th><th>trend</th></tr></thead><tbody>',
    ]
    for check_id, values in sorted(trend.failing.items(), key=lambda kv: (-(kv[1][-1] or 0), kv[0])):
        now = "-" if values[-1] is None else str(values[-1])
        out.append(
            f'<tr data-check="{e(check_id)}"><td><code>{e(check_id)}</code></td>'
            f"<td>{now}</td><td>{sparkline(values)}</td></tr>"
        )
    return out + ["</tbody></table>"]
