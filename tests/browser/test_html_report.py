"""The HTML report of a real sandbox run, opened in headless Chromium as a person would: it fetches nothing,
its table sorts and filters, hostile resource names stay text, the trend sparkline is drawn, it prints whole."""

from __future__ import annotations

from typing import Any

import pytest

from opsbook.core.models import Status
from opsbook.reports.formats.html import SEVERITIES
from tests.browser.chromium import HOSTILE_NAMES, ReportRun

pytestmark = pytest.mark.browser

ROWS = "#findings tbody tr"


def opened(page: Any, run: ReportRun) -> list[str]:
    """The report opened with every request but the file itself refused; returns the URLs requested."""
    url = run.html.as_uri()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
    page.goto(url)
    return requested


def column(page: Any, index: int, *, visible_only: bool = False) -> list[str]:
    """The text of column `index` (0-based) of the findings table, top to bottom."""
    rows = page.locator(ROWS).all()
    return [r.locator("td").nth(index).inner_text() for r in rows if not visible_only or r.is_visible()]


def test_it_opens_without_any_network_request(page: Any, report: ReportRun) -> None:
    requested = opened(page, report)
    assert requested == [report.html.as_uri()]
    assert page.locator(ROWS).count() == len(report.result.findings) > 0
    assert page.locator(".verdict").inner_text().startswith(("OK", "FAIL", "INCOMPLETE"))


def test_clicking_a_heading_sorts_the_table(page: Any, report: ReportRun) -> None:
    opened(page, report)
    page.locator("#findings th", has_text="check").first.click()
    checks = column(page, 2)
    assert checks == sorted(checks) and len(set(checks)) == 3  # three checks ran, now ascending
    page.locator("#findings th", has_text="check").first.click()
    assert column(page, 2) == sorted(checks, reverse=True)
    page.locator("#findings th", has_text="severity").click()  # sorted by rank, not by the word
    ranks = [SEVERITIES.index(s) for s in column(page, 0)]
    assert ranks == sorted(ranks) and len(set(ranks)) > 1


def test_status_and_text_filters_narrow_the_rows(page: Any, report: ReportRun) -> None:
    opened(page, report)
    failing = [f for f in report.result.findings if f.status is Status.FAIL]
    page.select_option("#filter-status", "fail")
    assert column(page, 1, visible_only=True) == ["fail"] * len(failing)
    one = next(f for f in failing if f.resource and f.resource.name == HOSTILE_NAMES[0])
    assert one.resource is not None
    page.fill("#filter-text", one.resource.id)
    assert column(page, 5, visible_only=True) == [f"{one.resource.id} {HOSTILE_NAMES[0]}"]
    page.select_option("#filter-status", "pass")  # that volume fails: nothing passes that text
    assert column(page, 5, visible_only=True) == []
    page.select_option("#filter-status", "")
    page.fill("#filter-text", "")
    assert len(column(page, 0, visible_only=True)) == len(report.result.findings)


def test_html_in_resource_names_stays_text(page: Any, report: ReportRun) -> None:
    opened(page, report)
    page.fill("#filter-text", "opsbook-")  # the page's own script runs (and re-renders nothing hostile)
    names = column(page, 5, visible_only=True)
    assert sorted(n.split(" ", 1)[1] for n in names) == sorted(HOSTILE_NAMES)
    assert page.locator("img").count() == 0 and page.locator("script").count() == 1
    page.wait_for_timeout(200)  # an onerror or inline script would have fired by now
    assert page.dialogs == [] and page.console_errors == []


def test_the_trend_sparkline_follows_the_history(page: Any, report: ReportRun) -> None:
    opened(page, report)
    trend = report.result.trend
    assert trend is not None and len(trend.run_ids) == 2
    volumes = trend.failing["ec2.unattached_volumes"]
    assert volumes[1] == (volumes[0] or 0) + len(HOSTILE_NAMES)  # the two new volumes fail
    svg = page.locator('#trend tr[data-check="ec2.unattached_volumes"] svg.sparkline')
    assert svg.get_attribute("aria-label") == f"failing per run, oldest first: {volumes[0]}, {volumes[1]}"
    assert svg.locator("polyline").count() == 1 and svg.bounding_box()["width"] > 0
    gap = page.locator('#trend tr[data-check="rds.instance_not_available"] svg.sparkline')
    assert gap.get_attribute("aria-label").endswith(": -, 0")  # not run the first time: no line, a dot
    assert gap.locator("polyline").count() == 0 and gap.locator("circle").count() == 1


def test_it_prints_without_controls_or_cut_tables(page: Any, report: ReportRun) -> None:
    opened(page, report)
    page.set_viewport_size({"width": 700, "height": 1000})  # about an A4 page's printable width
    page.emulate_media(media="print")
    assert not page.locator(".filters").is_visible()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " Math.max(...Array.from(document.querySelectorAll('table'), t => t.getBoundingClientRect().right))]"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[1], widths
    assert len(page.pdf(format="A4")) > 1000
