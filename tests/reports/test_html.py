"""The single-file HTML report: nothing fetched, every value inert, the run's summary, changes and targets."""

from __future__ import annotations

from html.parser import HTMLParser

from opsbook.core.models import Severity
from opsbook.reports import formats, model
from opsbook.reports.formats.html_assets import JS
from tests.reports.sample import HOSTILE, HOSTILE_TAG, run_result


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def page(compared: bool = True) -> tuple[str, Elements]:
    text = formats.get("html").render(model.build(run_result(compared=compared), Severity.HIGH))
    parsed = Elements()
    parsed.feed(text)
    parsed.close()
    return text, parsed


def test_hostile_values_render_as_text_and_nothing_is_fetched() -> None:
    text, parsed = page()
    assert parsed.scripts == [JS]  # opsbook's own script, nothing else
    assert not [(t, a) for t, a in parsed.tags if any(k.startswith("on") for k in a)]
    assert not [(t, a) for t, a in parsed.tags if {"src", "href"} & a.keys()]
    assert "img" not in {t for t, _ in parsed.tags} and "http" not in text
    words = "".join(parsed.text)
    assert (
        f"volume {HOSTILE} unattached" in words and HOSTILE_TAG.replace('"', '\\"') in words
    )  # tags as JSON


def test_summary_changes_and_targets_follow_the_run() -> None:
    text, parsed = page()
    words = "".join(parsed.text)
    assert "INCOMPLETE" in words and "exit code 3" in words
    assert (
        "Compared with run 20261130T060000-000000 of scope daily: 1 new, 1 resolved, 2 still failing."
        in words
    )
    new = words.split("New (1)")[1].split("Still failing")[0]
    assert "ec2.unattached_volumes" in new and "rds.instance_not_available" not in new
    assert "gone0000000000000000" in words.split("Resolved (1)")[1]
    for key in ("aws:prod/us-east-1", "k8s:my-cluster", "aws:dev/eu-west-1"):
        assert f"<h3>{key}</h3>" in text
    assert "could not be used: could not assume role" in words
    assert (
        "Daily Operations / Morning Health Checks" in words
        and "Cost Optimization / Identify Cost Savings" in words
    )
    rows = [a for t, a in parsed.tags if t == "tr" and "data-status" in a]
    assert [a["data-status"] for a in rows].count("fail") == 3 and len(rows) == 6
    assert 'id="findings"' in text and 'id="filter-text"' in text and 'id="filter-status"' in text


def test_without_a_comparison_it_says_so() -> None:
    _, parsed = page(compared=False)
    words = "".join(parsed.text)
    assert "Not compared" in words and "Run history not saved: store unreachable" in words
