"""The terminal view: findings grouped by severity, counts, and a one-line verdict."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from opsbook.reports import overview
from opsbook.reports.markdown import ORDER
from opsbook.reports.model import Report

STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def render(console: Console, report: Report, *, show_passing: bool = False, stats: bool = False) -> None:
    findings = report.findings
    shown = [f for f in findings if show_passing or f.status in ("fail", "error")]
    shown.sort(key=lambda f: (ORDER.index(f.severity), f.status != "fail", f.check_id, f.target.key))
    for sev in ORDER:
        group = [f for f in shown if f.severity == sev]
        if not group:
            continue
        table = Table(
            title=f"{sev.upper()} ({len(group)})", title_style=STYLE[sev], show_lines=False, expand=True
        )
        table.add_column("status", no_wrap=True)
        table.add_column("check", overflow="fold", ratio=1)
        table.add_column("target / resource", overflow="fold", ratio=1)
        table.add_column("message", overflow="fold", ratio=3, min_width=30)
        for f in group:
            res = f.resource_id
            expected = f.expected_in_window
            status = f.status + (f"\nexpected #{expected}" if expected is not None else "")
            # Text, not str: a `[/]` or `[bold]` in a name or message is text, not rich markup (which
            # would restyle the table or raise MarkupError and lose the report)
            cells = (status, f.check_id, f.target.key + (f"\n{res}" if res else ""), f.message)
            table.add_row(*map(Text, cells))
        console.print(table)
    render_overview(console, report)
    if expected := sum(1 for f in findings if f.expected_in_window is not None):
        console.print(f"{expected} findings are expected: their targets are in an active maintenance window")
    for t in report.targets:
        if t.error:
            console.print(Text.assemble(("target failed", "red"), f" {t.key}: {t.error}"), soft_wrap=True)
    if report.store_error:
        console.print(Text.assemble(("store failed", "red"), f" {report.store_error}"), soft_wrap=True)
    if stats:
        render_stats(console, report)
    s = report.summary.by_status
    changes = report.changes.counts()
    since = (
        f"{changes} since the previous {escape(report.scope)} run"
        if changes
        else "not compared with the previous run"
    )
    console.print(
        f"{len(report.targets)} targets, {len(findings)} findings: "
        f"[red]{s['fail']} failing[/], {s['error']} errors, [green]{s['pass']} passing[/], {s['skipped']} skipped; "
        f"{since}"
    )
    console.print(verdict(report))


def verdict(report: Report) -> str:
    word, why = report.verdict()
    return f"[{'green' if word == 'OK' else 'red'}]{word}[/] {why} (run {report.run_id})"


def render_stats(console: Console, report: Report) -> None:
    table = Table(title="API calls per target", expand=False)
    table.add_column("target")
    table.add_column("operation")
    table.add_column("calls", justify="right")
    for target, ops in report.stats.api_calls.items():
        for op, n in ops.items():
            table.add_row(Text(target), Text(op), str(n))
    console.print(table)


def render_overview(console: Console, report: Report) -> None:
    """The review's overview tables (reports/overview.py), passing rows included; values are plain text."""
    for t in report.overview or []:
        table = Table(title=t.title, caption=t.note or None, expand=False)
        head = overview.heading(t)
        for h in head[: len(head) - len(t.columns)]:
            table.add_column(h)
        for c in t.columns:
            numeric = all(isinstance(r.values.get(c.key), int | float | None) for r in t.rows)
            table.add_column(c.heading, justify="right" if numeric else "left")
        total = overview.total_cells(t)
        for n, r in enumerate(t.rows, 1):
            table.add_row(*map(Text, overview.cells(t, r)), style="red" if r.status == "fail" else None,
                          end_section=total is not None and n == len(t.rows))  # fmt: skip
        if total is not None:
            table.add_row(*map(Text, total), style="bold")
        console.print(table)
