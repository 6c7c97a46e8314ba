"""`--format json`: the documented report (docs/report-format.md)."""

from __future__ import annotations

import io
import json
from typing import TextIO

from opsbook.reports.model import Report

suffix = ".json"
media_type = "application/json"
_FINDINGS = '\n  "findings": []'  # the top-level key as json.dump(indent=2) writes an empty list


def write(report: Report, fh: TextIO) -> None:
    """Streamed onto `fh` (formats.write), one finding at a time: the text is exactly json.dump(as_dict(),
    indent=2)'s, but a run of many findings never holds them all as dicts (with the findings themselves, the
    report's copies and the text, the dicts were a third of a large run's peak memory)."""
    head = json.dumps(report.model_copy(update={"findings": []}).as_dict(), indent=2, default=str)
    before, after = head.split(_FINDINGS, 1)
    fh.write(before + '\n  "findings": [')
    for i, finding in enumerate(report.findings):
        text = json.dumps(finding.model_dump(), indent=2, default=str)
        fh.write(("," if i else "") + "\n    " + text.replace("\n", "\n    "))
    fh.write(("\n  ]" if report.findings else "]") + after + "\n")


def render(report: Report) -> str:
    buf = io.StringIO()
    write(report, buf)
    return buf.getvalue()
