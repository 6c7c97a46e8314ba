"""The typed report and its formats, rendered from an in-memory run (tests/reports/sample.py).

JSON keeps the documented shape; JUnit, CSV and HTML agree with the run's counts; hostile text in
resource names, messages and tags stays text in every format."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from opsbook.cli.run_cmd import render, report_format
from opsbook.core.events import MAINTENANCE_KEY
from opsbook.core.models import Finding, Severity
from opsbook.reports import formats, model
from opsbook.reports.formats import csv as csv_format
from tests.reports.sample import HOSTILE, Chunks, run_result

TOP = ["report_version", "opsbook_version", "run_id", "scope", "status", "started_at", "finished_at",
       "exit_code", "fail_on", "targets", "summary", "store_error", "changes", "findings", "stats", "extras", "overview"]  # fmt: skip
FINDING = ["uid", "check_id", "status", "severity", "target", "resource", "message", "details", "remediation"]


def report(compared: bool = True) -> model.Report:
    return model.build(run_result(compared=compared), Severity.HIGH)


def test_the_json_report_keeps_its_documented_keys_in_order() -> None:
    data = report().as_dict()
    assert list(data) == TOP
    assert data == model.build(run_result(), Severity.HIGH).as_dict()  # the same run, the same report
    assert data["exit_code"] == 3 and data["fail_on"] == "high"  # a target failed
    assert data["summary"]["by_status"] == {"pass": 1, "fail": 3, "error": 1, "skipped": 1}
    assert data["summary"]["failing_by_severity"]["critical"] == 1
    assert data["targets"][0] == {"key": "aws:prod/us-east-1", "error": None, "seconds": 1.235, "findings": 4}
    assert data["extras"] == {"exports": ["compliance"], "notifications": [{"channel": "ops", "ok": True}]}
    by_check = {f["check_id"]: f for f in data["findings"]}
    assert list(by_check["rds.instance_not_available"]) == FINDING  # no proposal, no window: keys absent
    assert list(by_check["ec2.unattached_volumes"]) == [*FINDING, "proposal"]
    assert list(by_check["k8s.pods_crashlooping"]) == [*FINDING, "expected_in_window"]
    assert by_check["k8s.pods_crashlooping"]["expected_in_window"] == 7
    assert by_check["rds.storage_low"]["resource"] is None
    assert by_check["k8s.pods_not_ready"]["target"] == {
        "kind": "k8s",
        "cluster": "my-cluster",
        "key": "k8s:my-cluster",
    }
    text = formats.get("json").render(report())
    assert '"seen": "2026-12-01 06:00:00+00:00"' in text  # details written as the checks gave them
    assert json.loads(text)["changes"]["resolved"] == ["gone0000000000000000"]


@pytest.mark.parametrize("keep", [0, 1, None])
def test_the_json_report_streamed_a_finding_at_a_time_is_json_dump_of_the_whole(keep: int | None) -> None:
    # formats/json.py writes the findings one by one (never all as dicts at once); its text must stay exactly
    # the documented json.dump(indent=2) of the whole report, with no, one and several findings
    r = report()
    r = r.model_copy(update={"findings": r.findings[:keep]}) if keep is not None else r
    whole = json.dumps(r.as_dict(), indent=2, default=str) + "\n"
    assert formats.get("json").render(r) == whole
    assert json.loads(whole)["findings"] == json.loads(formats.get("json").render(r))["findings"]


def documented(f: Finding) -> dict[str, Any]:
    """A finding's JSON as docs/report-format.md gives it, written out from the Finding itself (not by the
    report model), key for key and in order: optional keys absent when unset."""
    t, r, p = f.target, f.resource, f.proposal
    target = {"kind": t.kind.value, "account": t.account, "account_id": t.account_id, "region": t.region,
              "cluster": t.cluster, "stack": t.stack}  # fmt: skip
    resource = {"id": r.id, "type": r.type, "arn": r.arn, "name": r.name} if r else None
    doc: dict[str, Any] = {
        "uid": f.uid,
        "check_id": f.check_id,
        "status": f.status.value,
        "severity": f.severity.value,
        "target": {k: v for k, v in target.items() if v is not None} | {"key": t.key},
        "resource": {k: v for k, v in resource.items() if v is not None} if resource else None,
        "message": f.message,
        "details": f.details,
        "remediation": f.remediation,
    }
    if p:
        doc["proposal"] = {"procedure": p.procedure, "kind": p.kind, "action": p.action, "params": p.params,
                           "saving_usd_month": p.saving_usd_month}  # fmt: skip
    if f.details.get(MAINTENANCE_KEY) is not None:
        doc["expected_in_window"] = f.details[MAINTENANCE_KEY]
    return doc


@pytest.mark.parametrize("release", [False, True])
def test_each_finding_in_the_json_report_is_byte_for_byte_the_documented_one(release: bool) -> None:
    # the report's parts are built without validation (reports/model.py): their JSON text must stay exactly
    # what the documented shape of each Finding gives, whether or not the run's findings are released
    result = run_result()
    expected = json.dumps([documented(f) for f in result.findings], indent=2, default=str)
    r = model.build(result, Severity.HIGH, release=release)
    assert json.dumps(r.as_dict()["findings"], indent=2, default=str) == expected
    streamed = formats.get("json").render(r)
    assert ('"findings": ' + expected.replace("\n", "\n  ")) in streamed
    assert {type(f.status) for f in r.findings} == {type(f.severity) for f in r.findings} == {str}


def test_without_a_comparison_the_change_lists_are_absent() -> None:
    data = report(compared=False).as_dict()
    assert data["changes"] == {"previous_run_id": None} and data["store_error"] == "store unreachable"


def test_every_format_is_a_module_with_suffix_and_media_type() -> None:
    assert list(formats.FORMATS) == ["json", "markdown", "junit", "csv", "html", "ocsf"]
    for name, renderer in formats.FORMATS.items():
        assert renderer.suffix.startswith(".") and "/" in renderer.media_type
        assert isinstance(renderer.render(report()), str), name
    assert report_format("junit") == "junit" and report_format("table") == "table"
    with pytest.raises(Exception, match="'pdf' is not one of table, json, markdown, junit, csv, html, ocsf"):
        report_format("pdf")


def test_junit_has_a_testcase_per_check_and_target_with_the_run_counts() -> None:
    r = report()
    root = ET.fromstring(formats.get("junit").render(r))
    cases = root.findall("testsuite/testcase")
    pairs = {(f.check_id, f.target.key) for f in r.findings}
    assert {(c.get("name"), c.get("classname")) for c in cases} == pairs | {
        ("opsbook.target", "aws:dev/eu-west-1")
    }
    assert len(cases) == len(pairs) + 1
    kinds = Counter(child.tag for c in cases for child in c)
    assert kinds == {"failure": 3, "error": 2, "skipped": 1}  # 1 ERROR finding + the unusable target
    assert root.get("tests") == str(len(cases)) and root.get("failures") == "3"
    assert root.get("errors") == "2" and root.get("skipped") == "1"
    for suite in root.findall("testsuite"):
        assert suite.get("tests") == str(len(suite.findall("testcase")))
        assert suite.get("failures") == str(len(suite.findall("testcase/failure")))
    volume = next(c for c in cases if c.get("name") == "ec2.unattached_volumes")
    failure = volume.find("failure")
    assert (
        failure is not None and HOSTILE in (failure.text or "") and HOSTILE in (failure.get("message") or "")
    )
    assert not root.findall(".//script") and not root.findall(".//img")


def test_csv_has_one_row_per_finding_and_inert_cells() -> None:
    r = report()
    rows = list(csv.reader(io.StringIO(formats.get("csv").render(r))))
    assert tuple(rows[0]) == csv_format.COLUMNS and len(rows) == 1 + len(r.findings)
    by_check = {row[2]: dict(zip(csv_format.COLUMNS, row, strict=True)) for row in rows[1:]}
    volume = by_check["ec2.unattached_volumes"]
    assert volume["message"] == f"volume {HOSTILE} unattached" and volume["change"] == "new"
    assert volume["account"] == "prod" and volume["resource_id"] == f"vol-1{HOSTILE}"
    assert by_check["rds.instance_not_available"]["change"] == "still_failing"
    assert by_check["k8s.pods_crashlooping"]["expected_in_window"] == "7"
    assert csv_format.inert("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_format.inert("-1") == "'-1"


def test_render_writes_the_chosen_format_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "r.xml"
    render(report(), "junit", out, show_passing=False, stats=False)
    assert ET.parse(out).getroot().get("tests") == "7"


def test_the_json_report_is_streamed_not_built_as_one_string(tmp_path: Path, monkeypatch) -> None:
    r = report()
    fh = Chunks()
    formats.write("json", r, fh)
    assert fh.writes > len(r.findings) and fh.getvalue() == formats.get("json").render(r)

    def one_string(report: model.Report) -> str:
        raise AssertionError("the whole report rendered as one string")

    monkeypatch.setattr(formats.get("json"), "render", one_string)
    out = tmp_path / "r.json"
    render(r, "json", out, show_passing=False, stats=False)  # `run -f json -o FILE` streams
    assert json.loads(out.read_text())["run_id"] == r.run_id
    fh = Chunks()
    formats.write("csv", r, fh)  # a format without `write`: its text, once
    assert fh.writes == 1 and fh.getvalue().startswith("run_id,uid,")


def test_table_and_markdown_say_when_the_run_was_not_compared() -> None:
    """The store failed: no change lists. Every format still renders (this report is the run's only record)."""
    from rich.console import Console

    from opsbook.reports import markdown, table

    r = report(compared=False)
    out = io.StringIO()
    table.render(Console(file=out, no_color=True, width=160), r)
    text = out.getvalue()
    assert "not compared with the previous run" in text and "store failed store unreachable" in text
    assert "INCOMPLETE" in text and "3 failing, 1 errors" in text
    page = markdown.render(r)
    assert "- since previous run: not compared" in page and "## Run history not saved" in page
    for name in formats.FORMATS:
        assert formats.get(name).render(r), name
    out = io.StringIO()
    table.render(Console(file=out, no_color=True, width=160), report())
    assert "1 new, 1 resolved, 2 still failing since the previous daily run" in out.getvalue()
    assert "- since previous run: 1 new, 1 resolved, 2 still failing" in markdown.render(report())


def test_the_table_and_html_give_the_same_verdict() -> None:
    from opsbook.reports import table
    from opsbook.reports.formats import html

    result = run_result(compared=False)
    result.outcomes = result.outcomes[:2]  # every target read; only the store failed
    r = model.build(result, Severity.HIGH)
    why = "the run's history was not saved; this report is its only record"
    assert r.verdict() == ("INCOMPLETE", why)
    assert table.verdict(r) == f"[red]INCOMPLETE[/] {why} (run {r.run_id})"
    assert f"INCOMPLETE: {why.replace(chr(39), '&#x27;')} (exit code 3)" in html.render(r)
    assert report().verdict() == ("INCOMPLETE", "some targets or checks could not be read")


def test_findings_of_one_target_share_one_target_part() -> None:
    r = report()
    by_key: dict[str, set[int]] = {}
    for f in r.findings:
        by_key.setdefault(f.target.key, set()).add(id(f.target))
    assert any(len([f for f in r.findings if f.target.key == k]) > 1 for k in by_key)
    assert all(len(ids) == 1 for ids in by_key.values())  # one part per target, not per finding
    assert r.as_dict()["findings"][0]["target"]["key"] == r.findings[0].target.key
