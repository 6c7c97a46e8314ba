"""`--format json`: the documented report (docs/report-format.md)."""

from __future__ import annotations

import json

from opsbook.reports.model import Report

suffix = ".json"
media_type = "application/json"


def render(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str) + "\n"
