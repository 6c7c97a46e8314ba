"""The JSON report: documented and stable (see docs/report-format.md). Version bumps on breaking change.

The report itself is the typed model in reports/model.py; this is its dict form for the callers that
read it as JSON data."""

from __future__ import annotations

from typing import Any

from opsbook.core.models import Severity
from opsbook.engine.runner import RunResult
from opsbook.reports import model
from opsbook.reports.model import REPORT_VERSION as REPORT_VERSION


def build(result: RunResult, fail_on: Severity) -> dict[str, Any]:
    return model.build(result, fail_on).as_dict()
