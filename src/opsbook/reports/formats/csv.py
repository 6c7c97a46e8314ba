"""`--format csv`: one row per finding, the columns in COLUMNS (docs/report-format.md), csv-module quoting.

A cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage return) is
written with a leading `'`, so opening the file never runs anything.
"""

from __future__ import annotations

import csv
import io

from opsbook.reports.model import Report, ReportFinding

suffix = ".csv"
media_type = "text/csv"

COLUMNS = (
    "run_id", "uid", "check_id", "status", "severity", "target", "account", "region", "cluster",
    "resource_id", "resource_type", "message", "remediation", "change", "expected_in_window",
)  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def row(report: Report, f: ReportFinding, changes: dict[str, str]) -> list[str]:
    """`changes`: Report.change_labels(), computed once per render."""
    values = (
        report.run_id, f.uid, f.check_id, f.status, f.severity, f.target.key, f.target.account,
        f.target.region, f.target.cluster, f.resource_id, (f.resource or {}).get("type"), f.message,
        f.remediation, changes.get(f.uid, ""), f.expected_in_window,
    )  # fmt: skip
    return [inert(v) for v in values]


def render(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    changes = report.change_labels()
    writer.writerows(row(report, f, changes) for f in report.findings)
    return buf.getvalue()
