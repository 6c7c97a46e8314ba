"""The HTML report's trend section: one inline SVG sparkline per check, drawn from the report's trend."""

from __future__ import annotations

import re

from opsbook.core.models import Severity
from opsbook.engine.runner import Trend
from opsbook.reports import formats, model
from opsbook.reports.formats.html_trend import HEIGHT, PAD, sparkline
from tests.reports.sample import run_result


def test_sparkline_scales_to_the_largest_and_breaks_where_the_check_did_not_run() -> None:
    svg = sparkline([0, 2, None, 4, 1])
    lines = re.findall(r'<polyline points="([^"]+)"', svg)
    assert len(lines) == 2  # broken by the None
    first, second = ([tuple(map(float, p.split(","))) for p in line.split()] for line in lines)
    assert first[0][1] == HEIGHT - PAD and first[1][1] == (HEIGHT - 2 * PAD) / 2 + PAD  # 0 at the bottom
    assert second[0][1] == PAD  # the largest at the top
    assert first[0][0] < first[1][0] < second[0][0] < second[1][0]
    assert "oldest first: 0, 2, -, 4, 1" in svg and '<circle cx="' in svg and "http" not in svg


def test_report_shows_a_trend_row_per_check_most_failing_first() -> None:
    result = run_result()
    result.trend = Trend(run_ids=["a", "b", "c"], failing={"rds.cpu_high": [1, 0, 0], "k8s.<x>": [0, 1, 3]})
    report = model.build(result, Severity.HIGH)
    assert report.as_dict()["trend"] == {"run_ids": ["a", "b", "c"], "failing": result.trend.failing}
    text = formats.get("html").render(report)
    section = text.split("<h2>Trend</h2>")[1].split("</table>")[0]
    rows = re.findall(r'<tr data-check="([^"]+)">', section)
    assert rows == ["k8s.&lt;x&gt;", "rds.cpu_high"] and "last 3 runs" in section
    assert section.count('<svg class="sparkline"') == 2


def test_without_a_trend_there_is_no_trend_section() -> None:
    report = model.build(run_result(), Severity.HIGH)
    assert "trend" not in report.as_dict()
    assert "<h2>Trend</h2>" not in formats.get("html").render(report)
