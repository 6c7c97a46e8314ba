"""`--format junit`: JUnit XML for CI systems. One <testsuite> per target, one <testcase> per check on it.

A check's findings on a target make one testcase (name: the check id, classname: the target key): any
ERROR -> <error>, else any FAIL -> <failure>, else all SKIPPED -> <skipped>, else it passed. A target that
could not be used at all is an `opsbook.target` testcase with <error>. Text goes through ElementTree
(escaped) after characters XML 1.0 cannot carry are replaced.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from opsbook.core.models import Status
from opsbook.reports.model import Report, ReportFinding

suffix = ".xml"
media_type = "application/xml"

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
TARGET_CASE = "opsbook.target"


def xml_text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def outcome(findings: list[ReportFinding]) -> str:
    statuses = {f.status for f in findings}
    for status in (Status.ERROR, Status.FAIL):
        if status in statuses:
            return status.value
    return Status.SKIPPED.value if statuses == {Status.SKIPPED} else Status.PASS.value


def _line(f: ReportFinding) -> str:
    where = f" {f.resource_id}" if f.resource_id else ""
    return f"[{f.status}/{f.severity}]{where}: {f.message}"


def _case(suite: ET.Element, check_id: str, key: str, findings: list[ReportFinding]) -> str:
    case = ET.SubElement(suite, "testcase", name=xml_text(check_id), classname=xml_text(key))
    result = outcome(findings)
    tag = {"error": "error", "fail": "failure", "skipped": "skipped"}.get(result)
    if tag:
        shown = [f for f in findings if f.status == result]
        node = ET.SubElement(case, tag, message=xml_text(shown[0].message), type=result)
        node.text = xml_text("\n".join(_line(f) for f in shown))
    return result


def render(report: Report) -> str:
    root = ET.Element("testsuites", name=xml_text(f"opsbook {report.scope} {report.run_id}"))
    by_target: dict[str, dict[str, list[ReportFinding]]] = {t.key: defaultdict(list) for t in report.targets}
    for f in report.findings:
        by_target.setdefault(f.target.key, defaultdict(list))[f.check_id].append(f)
    errors = {t.key: t for t in report.targets}
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for key, checks in by_target.items():
        suite = ET.SubElement(root, "testsuite", name=xml_text(key), timestamp=report.started_at)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        results = [_case(suite, cid, key, found) for cid, found in sorted(checks.items())]
        if key in errors and errors[key].error:
            case = ET.SubElement(suite, "testcase", name=TARGET_CASE, classname=xml_text(key))
            message = xml_text(errors[key].error)
            ET.SubElement(case, "error", message=message, type="error").text = message
            results.append("error")
        counts["tests"] = len(results)
        counts["failures"] = results.count("fail")
        counts["errors"] = results.count("error")
        counts["skipped"] = results.count("skipped")
        suite.set("time", f"{errors[key].seconds:.3f}" if key in errors else "0")
        for name, n in counts.items():
            suite.set(name, str(n))
            totals[name] += n
    for name, n in totals.items():
        root.set(name, str(n))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
