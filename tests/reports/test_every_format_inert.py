"""Every registered report format (formats.FORMATS, so a new format is covered when it registers) keeps
hostile text inert for its consumers: a browser, a Markdown renderer, a JUnit reader, a spreadsheet, a JSON
or OCSF pipeline. The finding's resource id, tag value, message, details and remediation carry the payload."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt

from opsbook.core.models import Severity, Status
from opsbook.engine.runner import RunResult, TargetOutcome
from opsbook.reports import formats, model
from opsbook.reports.formats.html_assets import JS
from opsbook.reports.markdown_text import cell
from tests.reports.sample import PROD, finding

PAYLOAD = '<script>alert(1)</script> "onmouseover=alert(2) x=" ]]> & <img src=x onerror=alert(3)>'
# Markdown's own syntax: an image a wiki would fetch, a link, a code span, a backslash that would be eaten
PAYLOAD += r" ![x](https://evil.invalid/x.png) [y](https://evil.invalid) `z` ^1\.[0-9]+$"
RESOURCE_ID = f"vol-{PAYLOAD}"
TAG = f'"onmouseover={PAYLOAD}'
MESSAGE = f"=HYPERLINK(1) {PAYLOAD}"  # leads with a formula character for the spreadsheet
REMEDIATION = f"@SUM(1) {PAYLOAD}"
STATEMENT = f"SELECT `x FROM t WHERE a = '{PAYLOAD}'"  # a backtick would end Markdown's code span
# cpu_avg and top_statements put the finding in the performance section as well
DETAILS = {
    "note": f"+{PAYLOAD}",
    "tags": {"Name": TAG},
    "cpu_avg": PAYLOAD,
    "top_statements": [{"statement": STATEMENT}],
}
STRINGS = (RESOURCE_ID, TAG, MESSAGE, REMEDIATION, DETAILS["note"])
JUNIT_TAGS = {"testsuites", "testsuite", "testcase", "failure", "error", "skipped", "properties", "property"}


def hostile_report() -> model.Report:
    bad = finding("ec2.unattached_volumes", Status.FAIL, Severity.HIGH, PROD, RESOURCE_ID, message=MESSAGE,
                  remediation=REMEDIATION, details=DETAILS)  # fmt: skip
    result = RunResult(
        run_id="20261201T060000-abcdef", scope="daily", status="complete",
        started_at=datetime(2026, 12, 1, 6, tzinfo=UTC), finished_at=datetime(2026, 12, 1, 6, 1, tzinfo=UTC),
        outcomes=[TargetOutcome(target=PROD, findings=[bad], seconds=0.1)], api_calls={},
    )  # fmt: skip
    result.previous_run_id, result.diff = None, {"new": [bad.uid], "resolved": [], "still_failing": []}
    return model.build(result, Severity.HIGH)


class Page(HTMLParser):
    """The elements, attributes, script bodies and visible text of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.words: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self.tags.append((f"/{tag}", {}))

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1][0] == "script":
            self.scripts[-1] += data
        else:
            self.words.append(data)


def assert_inert_page(page: Page, own_scripts: list[str]) -> None:
    assert page.scripts == own_scripts, "a <script> that is not opsbook's own"
    assert "img" not in {t for t, _ in page.tags}
    handlers = [(t, a) for t, a in page.tags if any(k.lower().startswith("on") for k in a)]
    assert not handlers, handlers
    assert MESSAGE in "".join(page.words)  # the payload is on the page, as text


def check_html(text: str) -> None:
    assert_inert_page(Page(text), [JS])


def check_markdown(text: str) -> None:
    """What a wiki or ticket shows: the Markdown rendered to HTML (raw HTML allowed, as CommonMark does)."""
    page = Page(MarkdownIt("commonmark").enable("table").render(text))
    assert_inert_page(page, [])
    assert "a" not in {t for t, _ in page.tags}, "a link from the run's text"  # opsbook's page has none


def check_xml(text: str) -> None:
    root = ET.fromstring(text)
    assert {e.tag for e in root.iter()} <= JUNIT_TAGS  # the payload made no element
    failure = root.find(".//failure")
    assert failure is not None and failure.get("message") == MESSAGE
    assert RESOURCE_ID in (failure.text or "") and MESSAGE in (failure.text or "")


def check_csv(text: str) -> None:
    rows = list(csv.reader(io.StringIO(text)))
    starts = [c for r in rows for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert not starts, starts
    cells = {c for r in rows for c in r}
    assert {"'" + MESSAGE, "'" + REMEDIATION, RESOURCE_ID} <= cells  # escaped by a leading ' only


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def check_json(text: str) -> None:
    found = set(strings(json.loads(text)))
    missing = [s for s in STRINGS if s not in found]
    assert not missing, f"not round-tripped exactly: {missing}"


CHECKS: dict[str, Callable[[str], None]] = {
    "text/html": check_html,
    "text/markdown": check_markdown,
    "application/xml": check_xml,
    "text/csv": check_csv,
    "application/json": check_json,
}


@pytest.mark.parametrize("name", list(formats.FORMATS))
def test_hostile_text_is_inert_in_every_format(name: str) -> None:
    renderer = formats.get(name)
    check = CHECKS.get(renderer.media_type)
    assert check is not None, f"format {name!r} ({renderer.media_type}): add an inertness check here"
    check(renderer.render(hostile_report()))


def test_the_checks_catch_a_live_payload() -> None:
    """The checks above fail on the output of a renderer that does not escape."""
    with pytest.raises(AssertionError):
        check_html(f"<p>{MESSAGE}</p><script>{JS}</script>")
    with pytest.raises(AssertionError):
        check_markdown(f"| message |\n|---|\n| {MESSAGE} |\n")
    for markdown in ("![x](https://evil.invalid/x.png)", "[y](https://evil.invalid)"):
        with pytest.raises(AssertionError):  # the message escaped, Markdown syntax after it live
            check_markdown(f"| message |\n|---|\n| {cell(MESSAGE)} {markdown} |\n")
    with pytest.raises(AssertionError):
        check_csv(f"message\n{MESSAGE}\n")
    with pytest.raises(ET.ParseError):
        check_xml(f"<testsuites><testsuite>{PAYLOAD}</testsuite></testsuites>")


def test_rich_markup_in_the_run_is_text_in_the_terminal_table() -> None:
    """The terminal view is rich: a `[/]` or `[bold]` in a message, resource or target error is text, not
    markup (it raised MarkupError, losing the report, or restyled the table)."""
    from rich.console import Console

    from opsbook.reports import table

    markup = "[/] [bold red]x[/bold red] [link=file:///etc/passwd]y[/link]"
    bad = finding("ec2.unattached_volumes", Status.FAIL, Severity.HIGH, PROD, f"vol-{markup}",
                  message=f"m {markup}")  # fmt: skip
    result = RunResult(
        run_id="20261201T060000-abcdef", scope="daily", status="complete",
        started_at=datetime(2026, 12, 1, 6, tzinfo=UTC), finished_at=datetime(2026, 12, 1, 6, 1, tzinfo=UTC),
        outcomes=[TargetOutcome(target=PROD, findings=[bad], seconds=0.1, error=f"denied {markup}")],
        api_calls={f"aws:{markup}": {"ec2.DescribeVolumes": 1}}, store_error=f"locked {markup}",
    )  # fmt: skip
    console = Console(record=True, width=400, color_system=None)
    table.render(console, model.build(result, Severity.HIGH), stats=True)
    out = " ".join(console.export_text().split())
    for text in (f"m {markup}", f"vol-{markup}", f"denied {markup}", f"locked {markup}", f"aws:{markup}"):
        assert text in out, text


def test_the_monthly_summary_and_the_post_mortem_keep_hostile_text_inert() -> None:
    """The other Markdown pages (markdown_text.cell): an incident's title, commander and notes, and the
    timeline's findings and audit lines (resource names from the estate) reach them as text."""
    from opsbook.engine.incident_timeline import TimelineEntry
    from opsbook.reports import monthly, postmortem
    from opsbook.store.incidents import Incident, Note, Step

    at = datetime(2026, 11, 10, 9, tzinfo=UTC)
    incident = Incident(
        id="INC-1", title=MESSAGE, severity="SEV2", status="resolved", commander=f"bo {PAYLOAD}",
        targets=("k8s:my-cluster",), opened_at=at, detected_at=None, resolved_at=at,
        steps=(Step(1, "Identify", done_by=f"bo {PAYLOAD}", done_at=at),), notes=(Note(at, "bo", "note", MESSAGE),),
    )  # fmt: skip
    entries = [TimelineEntry(at, source, f"{source} {PAYLOAD}") for source in ("action", "finding", "note")]
    entries.append(TimelineEntry(at, "audit", f"scale {RESOURCE_ID} done by bo: {PAYLOAD}"))
    check_markdown(postmortem.render(incident, entries))
    summary = {
        "month": "2026-11",
        "runs": {"total": 1, "by_status": {"complete": 1}, "by_scope": {f"daily {PAYLOAD}": 1}},
        "findings": {"opened": 0, "resolved": 0, "open_at_end": 0, "opened_by_severity": {},
                     "open_by_severity": {}},
        "mean_time_to_resolve": {}, "top_recurring_checks": [],
        "incidents": [{"id": f"INC-1 {PAYLOAD}", "title": MESSAGE, "severity": "SEV2", "status": "open"}],
        "incident_stats": {},
    }  # fmt: skip
    check_markdown(monthly.render(summary))
