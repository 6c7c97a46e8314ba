"""`--format json`: the documented report (docs/report-format.md)."""

from __future__ import annotations

import io
import json
from typing import TextIO

from opsbook.reports.model import Report

suffix = ".json"
media_type = "application/json"


def write(report: Report, fh: TextIO) -> None:
    """Streamed onto `fh` (formats.write): a run of many findings is never held as one string."""
    json.dump(report.as_dict(), fh, indent=2, default=str)
    fh.write("\n")


def render(report: Report) -> str:
    buf = io.StringIO()
    write(report, buf)
    return buf.getvalue()
