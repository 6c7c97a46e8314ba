"""The Markdown report: a page a human reads in a PR, a wiki or a ticket."""

from __future__ import annotations

from opsbook.core.models import Severity, Status
from opsbook.reports import overview
from opsbook.reports.markdown_text import cell as _cell
from opsbook.reports.model import Report

ORDER = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]


def render(report: Report) -> str:
    lines = [f"# opsbook {report.scope} run {report.run_id}", ""]
    lines.append(f"- started: {report.started_at}  finished: {report.finished_at}  status: {report.status}")
    s = report.summary.by_status
    lines.append(
        f"- findings: {s['fail']} failing, {s['error']} errors, {s['pass']} passing, {s['skipped']} skipped"
    )
    lines.append(f"- since previous run: {report.changes.counts() or 'not compared'}")
    if report.store_error:
        lines += ["", "## Run history not saved", "", _cell(report.store_error)]
    failed = [t for t in report.targets if t.error]
    if failed:
        lines += ["", "## Targets that failed", ""]
        lines += [f"- `{t.key}`: {_cell(t.error)}" for t in failed]
    problems = [f for f in report.findings if f.status in (Status.FAIL.value, Status.ERROR.value)]
    problems.sort(key=lambda f: (f.status != "fail", ORDER.index(f.severity), f.check_id))
    lines += ["", "## Findings that need attention", ""]
    if not problems:
        lines.append("Nothing failing.")
    else:
        lines += ["| severity | status | check | target | resource | message |", "|---|---|---|---|---|---|"]
        for f in problems:
            expected = f.expected_in_window
            status = f.status + (f" (expected: maintenance {expected})" if expected is not None else "")
            lines.append(
                f"| {f.severity} | {status} | `{f.check_id}` | {_cell(f.target.key)} "
                f"| {_cell(f.resource_id)} | {_cell(f.message)} |"
            )
        lines += ["", "### Remediation", ""]
        seen: set[str] = set()
        for f in problems:
            if f.check_id not in seen and f.remediation:
                seen.add(f.check_id)
                lines.append(f"- `{f.check_id}`: {_cell(f.remediation)}")
    lines += overview_tables(report)
    passing = [f for f in report.findings if f.status == Status.PASS.value]
    lines += ["", f"## Passing ({len(passing)})", ""]
    by_check: dict[str, int] = {}
    for f in passing:
        by_check[f.check_id] = by_check.get(f.check_id, 0) + 1
    lines += [f"- `{cid}`: {n}" for cid, n in sorted(by_check.items())]
    return "\n".join(lines) + "\n"


def overview_tables(report: Report) -> list[str]:
    """The review's overview tables (reports/overview.py), passing rows included, with their totals."""
    lines: list[str] = []
    for t in report.overview or []:
        head = overview.heading(t)
        lines += ["", f"## {t.title}", ""] + ([t.note, ""] if t.note else [])
        lines += ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
        body = [overview.cells(t, r) for r in t.rows]
        if (total := overview.total_cells(t)) is not None:
            body.append([f"**{c}**" if c else "" for c in total])
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
    return lines
