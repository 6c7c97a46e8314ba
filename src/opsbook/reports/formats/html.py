"""`--format html`: one self-contained page (inline CSS and JS, nothing fetched) a team opens in the morning.

Summary by status, severity and guide section; new / resolved / still failing since the previous run of
the scope; each check's failing trend over the last runs (html_trend.py); the targets that failed; a
sortable, filterable table of every finding; a section per target.
Every value from the run goes through `e()` (html.escape, quotes included) before it reaches the page.
"""

from __future__ import annotations

import json
from collections import Counter
from html import escape

from opsbook.core.models import Severity, Status
from opsbook.reports import overview
from opsbook.reports.formats.html_assets import CSS, JS
from opsbook.reports.formats.html_trend import sparkline
from opsbook.reports.model import Report, ReportFinding

suffix = ".html"
media_type = "text/html"

SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
STATUSES = [Status.FAIL.value, Status.ERROR.value, Status.PASS.value, Status.SKIPPED.value]
OTHER_SECTION = "(not a guide check)"


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def section_of(check_id: str) -> str:
    from opsbook.core.checks import CHECKS
    from opsbook.engine.selection import load_builtin

    load_builtin()
    return CHECKS.get(check_id).section if check_id in CHECKS else OTHER_SECTION


def _table(head: list[str], rows: list[list[str]], attrs: str = "") -> list[str]:
    """`head` and the cells of `rows` are HTML already (escaped by the caller)."""
    out = [f"<table{attrs}><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    out += ["<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows]
    return out + ["</tbody></table>"]


def summary(report: Report) -> list[str]:
    s = report.summary
    out = ["<h2>Summary</h2>"]
    out += _table([e(x) for x in STATUSES], [[e(s.by_status.get(x, 0)) for x in STATUSES]])
    out.append("<p>Failing findings by severity:</p>")
    out += _table([e(x) for x in SEVERITIES], [[e(s.failing_by_severity.get(x, 0)) for x in SEVERITIES]])
    per: dict[str, Counter[str]] = {}
    for f in report.findings:
        per.setdefault(section_of(f.check_id), Counter())[str(f.status)] += 1
    rows = [[e(name)] + [e(c[x]) for x in STATUSES] for name, c in sorted(per.items())]
    out.append("<p>By guide section:</p>")
    return out + _table(["guide section"] + [e(x) for x in STATUSES], rows)


def _finding_line(f: ReportFinding) -> str:
    res = f" <code>{e(f.resource_id)}</code>" if f.resource_id else ""
    return (
        f'<li><span class="{e(f.severity)}">{e(f.severity)}</span> <code>{e(f.check_id)}</code> '
        f"{e(f.target.key)}{res}: {e(f.message)}</li>"
    )


def changes(report: Report) -> list[str]:
    ch = report.changes
    out = ["<h2>Since the previous run</h2>"]
    if ch.new is None:
        return out + ["<p>Not compared: the run's history could not be read or saved.</p>"]
    prev = f"run <code>{e(ch.previous_run_id)}</code>" if ch.previous_run_id else "no previous run"
    out.append(f"<p>Compared with {prev} of scope <code>{e(report.scope)}</code>: {ch.counts()}.</p>")
    for title, uids in (("New", ch.new), ("Still failing", ch.still_failing)):
        found = report.by_uid(uids)
        if found:
            out += [f"<h3>{title} ({len(found)})</h3>", "<ul>", *map(_finding_line, found), "</ul>"]
    if ch.resolved:
        out += [
            f"<h3>Resolved ({len(ch.resolved)})</h3>",
            "<p>Finding ids (failing in the previous run):</p>",
        ]
        out += ["<ul>", *(f"<li><code>{e(uid)}</code></li>" for uid in ch.resolved), "</ul>"]
    return out


def findings_table(report: Report) -> list[str]:
    options = "".join(f'<option value="{e(s)}">{e(s)}</option>' for s in STATUSES)
    out = [
        f"<h2>Findings ({len(report.findings)})</h2>",
        '<p class="filters"><label>filter <input id="filter-text" type="search"></label>'
        f'<label>status <select id="filter-status"><option value="">all</option>{options}</select></label>'
        '<span class="muted">click a column heading to sort</span></p>',
    ]
    head = [
        "severity",
        "status",
        "check",
        "guide section",
        "target",
        "resource",
        "message",
        "change",
        "details",
    ]
    rows = []
    labels = report.change_labels()
    for f in sorted(report.findings, key=_order):
        expected = f" (maintenance {e(f.expected_in_window)})" if f.expected_in_window is not None else ""
        details = json.dumps(f.details, default=str, sort_keys=True) if f.details else ""
        rows.append(
            f'<tr data-status="{e(f.status)}">'
            f'<td data-key="{SEVERITIES.index(f.severity)}" class="{e(f.severity)}">{e(f.severity)}</td>'
            f'<td data-key="{STATUSES.index(f.status)}" class="{e(f.status)}">{e(f.status)}{expected}</td>'
            f"<td><code>{e(f.check_id)}</code></td><td>{e(section_of(f.check_id))}</td>"
            f"<td>{e(f.target.key)}</td><td>{_resource(f)}</td><td>{e(f.message)}</td>"
            f'<td>{e(labels.get(f.uid, ""))}</td><td class="details">{e(details)}</td></tr>'
        )
    out.append('<table id="findings"><thead><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>")
    return out + ["<tbody>", *rows, "</tbody></table>"]


def overview_tables(report: Report) -> list[str]:
    """The review's overview tables (reports/overview.py), passing rows included, with their totals."""
    out = []
    for t in report.overview or []:
        out.append(f'<h2 id="overview-{e(t.name)}">{e(t.title)}</h2>')
        if t.note:
            out.append(f'<p class="muted">{e(t.note)}</p>')
        rows = [[e(c) for c in overview.cells(t, r)] for r in t.rows]
        if (total := overview.total_cells(t)) is not None:
            rows.append([f"<strong>{e(c)}</strong>" if c else "" for c in total])
        out += _table(
            [e(h) for h in overview.heading(t)], rows, f' class="overview" data-overview="{e(t.name)}"'
        )
    return out


def trend_section(report: Report) -> list[str]:
    """Per check, its failing findings over the last runs of the scope; absent without a trend (no store)."""
    trend = report.trend
    if trend is None or not trend.failing:
        return []
    out = [
        "<h2>Trend</h2>",
        f"<p>Failing findings per check over the last {len(trend.run_ids)} runs of scope "
        f"<code>{e(report.scope)}</code> (oldest first, this run last; a gap: the check did not run).</p>",
        '<table id="trend"><thead><tr><th>check</th><th>failing now</th><th>trend</th></tr></thead><tbody>',
    ]
    for check_id, values in sorted(trend.failing.items(), key=lambda kv: (-(kv[1][-1] or 0), kv[0])):
        now = "-" if values[-1] is None else str(values[-1])
        out.append(
            f'<tr data-check="{e(check_id)}"><td><code>{e(check_id)}</code></td>'
            f"<td>{now}</td><td>{sparkline(values)}</td></tr>"
        )
    return out + ["</tbody></table>"]


def _resource(f: ReportFinding) -> str:
    """The resource's id and, when it has one, its name (e.g. its Name tag)."""
    name = (f.resource or {}).get("name")
    return e(f.resource_id) + (f' <span class="name">{e(name)}</span>' if name else "")


def _order(f: ReportFinding) -> tuple[int, int, str, str]:
    return STATUSES.index(f.status), SEVERITIES.index(f.severity), f.check_id, f.target.key


def targets(report: Report) -> list[str]:
    out = ["<h2>Targets</h2>"]
    for t in report.targets:
        mine = [f for f in report.findings if f.target.key == t.key]
        counts = Counter(str(f.status) for f in mine)
        out.append(f"<h3>{e(t.key)}</h3>")
        if t.error:
            out.append(f'<p class="error">could not be used: {e(t.error)}</p>')
        out.append(
            f"<p>{t.findings} findings in {t.seconds:.1f}s: "
            + ", ".join(f'<span class="{e(s)}">{counts[s]} {e(s)}</span>' for s in STATUSES)
            + "</p>"
        )
        problems = sorted((f for f in mine if f.status in (Status.FAIL, Status.ERROR)), key=_order)
        if problems:
            out += ["<ul>", *map(_finding_line, problems), "</ul>"]
        remedies = {f.check_id: f.remediation for f in problems if f.remediation}
        if remedies:
            out += ["<p>Remediation:</p>", "<ul>"]
            out += [f"<li><code>{e(c)}</code>: <code>{e(r)}</code></li>" for c, r in sorted(remedies.items())]
            out.append("</ul>")
    return out


def render(report: Report) -> str:
    title = f"opsbook {report.scope} run {report.run_id}"
    word, why = report.verdict()
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>started {e(report.started_at)}, finished {e(report.finished_at)}, status {e(report.status)}; "
        f"opsbook {e(report.opsbook_version)}</p>",
        f'<p class="verdict">{e(word)}: {e(why)} (exit code {e(report.exit_code)})</p>',
    ]
    if report.store_error:
        out.append(f'<p class="error">Run history not saved: {e(report.store_error)}</p>')
    out += (
        summary(report)
        + changes(report)
        + trend_section(report)
        + overview_tables(report)
        + findings_table(report)
        + targets(report)
    )
    out += [f"<script>{JS}</script>", "</body></html>"]
    return "\n".join(out) + "\n"
