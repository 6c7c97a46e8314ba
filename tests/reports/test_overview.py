"""Overview tables on hand-built reports: which findings become rows (passing ones too), the columns
shown, the totals, and the same table in Markdown, the terminal, HTML (escaped) and JSON."""

from __future__ import annotations

import json
import time

import pytest
from rich.console import Console

from opsbook.core.config import CalendarSettings
from opsbook.engine import calendar, selection
from opsbook.reports import formats, markdown, model, overview, table
from opsbook.reports.formats import html


def finding(check: str, resource: str, status: str, key: str = "aws:prod/us-east-1", **details: object) -> model.ReportFinding:  # fmt: skip
    return model.ReportFinding.model_validate(
        {
            "uid": f"{check}:{key}:{resource}",
            "check_id": check,
            "status": status,
            "severity": "medium",
            "target": {"kind": "aws", "key": key},
            "resource": {"id": resource},
            "message": "m",
            "details": details,
            "remediation": "",
        }
    )


def report(findings: list[model.ReportFinding]) -> model.Report:
    return model.Report.model_validate(
        {
            "scope": "weekly:wednesday",
            "run_id": "r1",
            "started_at": "s",
            "finished_at": "f",
            "status": "complete",
            "exit_code": 0,
            "fail_on": "high",
            "summary": {
                "by_status": {"pass": 1, "fail": 1, "error": 0, "skipped": 0},
                "failing_by_severity": {},
            },
            "store_error": None,
            "changes": {"previous_run_id": None, "new": [], "resolved": [], "still_failing": []},
            "targets": [],
            "findings": findings,
            "stats": {"api_calls": {}, "host": "h"},
            "overview": overview.tables(findings) or None,
        }
    )


PERFORMANCE = [
    finding(
        "apigateway.latency_weekly",
        "my-api",
        "fail",
        latency_avg_ms=812.5,
        latency_p50_ms=640.0,
        latency_p95_ms=1900.0,
    ),  # fmt: skip
    finding("rds.cpu_high", "my-database", "pass", cpu_avg=20.3, cpu_max=24.0),
    finding(
        "rds.slow_queries",
        "my-database",
        "pass",
        entries=9,
        top_statements=[
            {"statement": "SELECT * FROM orders", "count": 42, "total_ms": 90000.0, "max_ms": 7000.0}
        ],
    ),  # fmt: skip
    finding("rds.instance_not_available", "x", "pass", engine="postgres", cpu_avg=99.0),
]
COST = [
    finding(
        "ce.weekly_cost_by_service",
        "EC2",
        "fail",
        unblended=1471.75,
        previous_unblended=842.0,
        change=629.75,
        change_percent=74.8,
    ),  # fmt: skip
    finding(
        "ce.weekly_cost_by_service",
        "S3",
        "pass",
        key="aws:dev/us-east-1",
        unblended=22.75,
        previous_unblended=23.0,
        change=-0.25,
        change_percent=-1.1,
    ),  # fmt: skip
]


def test_measured_findings_become_rows_passing_included_and_empty_columns_are_dropped() -> None:
    tables = {t.name: t for t in overview.tables(PERFORMANCE)}
    assert set(tables) == {"performance.latency", "performance.slow_statements"}
    perf = tables["performance.latency"]
    assert [(r.check_id, r.status) for r in perf.rows] == [("apigateway.latency_weekly", "fail"), ("rds.cpu_high", "pass")]  # fmt: skip
    assert [c.key for c in perf.columns] == ["latency_avg_ms", "latency_p50_ms", "latency_p95_ms", "cpu_avg", "cpu_max"]  # fmt: skip
    slow = tables["performance.slow_statements"].rows[0].values
    assert slow == {"entries": 9, "count": 42, "total_ms": 90000.0, "max_ms": 7000.0, "statement": "SELECT * FROM orders"}  # fmt: skip


def test_markdown_shows_the_tables_with_check_column_and_totals() -> None:
    text = markdown.render(report(PERFORMANCE + COST))
    perf = text.split("## Performance", 1)[1].split("##", 1)[0]
    assert (
        "| apigateway.latency_weekly | fail | aws:prod/us-east-1 | my-api | 812.5 | 640.0 | 1,900.0 |" in perf
    )
    assert "| rds.cpu_high | pass | aws:prod/us-east-1 | my-database |" in perf and "20.3" in perf
    assert "rds.instance_not_available" not in perf  # not a check the table lifts, whatever its details
    assert (
        "| pass | aws:prod/us-east-1 | my-database | 9 | 42 | 90,000.0 | 7,000.0 | SELECT * FROM orders |"
        in text
    )
    cost = text.split("## Cost by service, week over week", 1)[1].split("##", 1)[0]
    assert "| pass | aws:dev/us-east-1 | S3 | 22.75 | 23.00 | -0.25 | -1.1 |" in cost
    assert "|  | **total** |  | **1,494.50** | **865.00** | **629.50** |  |" in cost


def test_json_carries_the_typed_tables_and_leaves_them_out_when_none() -> None:
    data = json.loads(json.dumps(report(COST).as_dict()))
    (cost,) = data["overview"]
    assert cost["name"] == "cost.by_service" and cost["totals"] == {"unblended": 1494.5, "previous_unblended": 865.0, "change": 629.5}  # fmt: skip
    assert cost["rows"][0] == {  # sorted by target
        "check_id": "ce.weekly_cost_by_service",
        "target": "aws:dev/us-east-1",
        "resource": "S3",
        "status": "pass",
        "values": {"unblended": 22.75, "previous_unblended": 23.0, "change": -0.25, "change_percent": -1.1},
    }
    plain = report([finding("rds.instance_not_available", "x", "pass")])
    assert "overview" not in plain.as_dict()
    assert "## Performance" not in markdown.render(plain)


def test_terminal_and_html_render_the_same_rows_escaped() -> None:
    hostile = finding("s3.bucket_growth", "<script>alert(1)</script>", "pass", size_gib=2.0)
    rep = report(COST + [hostile])
    console = Console(record=True, width=200)
    table.render_overview(console, rep)
    text = console.export_text()
    assert (
        "Cost by service, week over week" in text
        and "1,494.50" in text
        and "<script>alert(1)</script>" in text
    )
    page = html.render(rep)
    assert (
        'data-overview="cost.by_service"' in page
        and "<td>S3</td>" in page
        and "<strong>1,494.50</strong>" in page
    )
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_table_is_registered_once_and_totals_name_its_columns() -> None:
    spec = overview.registry()["cost.by_service"]
    with pytest.raises(ValueError, match="registered twice"):
        overview.register(spec)
    bad = overview.Spec(
        name="x", title="x", checks=("c",), columns=(overview.Column("a", "a"),), totals=("b",)
    )
    with pytest.raises(ValueError, match="unknown columns"):
        overview.register(bad)


def test_cells_show_numbers_as_people_read_them() -> None:
    assert overview.cell(1494.5, 2) == "1,494.50" and overview.cell(12345) == "12,345"
    assert overview.cell(-0.25, 2) == "-0.25" and overview.cell(-1.1) == "-1.1"
    assert overview.cell(-0.04) == "0.0"  # a change that rounds to nothing is not "-0.0"
    assert (overview.cell(True), overview.cell(False), overview.cell(None)) == ("yes", "no", "")


# each table's run as the guide (README, docs/report-format.md) names it, resolved as `opsbook run` resolves it
GUIDE_RUNS = {
    "performance": calendar.weekly_scopes(CalendarSettings(), "wednesday"),  # run weekly --day wednesday
    "cost": calendar.weekly_scopes(CalendarSettings(), "thursday"),  # run weekly --day thursday
    "capacity": [calendar.monthly_scope("capacity")],  # run monthly --part capacity
}


def test_every_table_is_filled_by_the_run_the_guide_names() -> None:
    selection.load_builtin()
    daily = {s.id for s in selection.select(["daily"])}
    for name, spec in overview.registry().items():
        scopes = GUIDE_RUNS[name.split(".")[0]]
        ran = {s.id for s in selection.select(scopes)}
        assert ran & set(spec.checks), (name, scopes)  # the review's run shows the table
        assert set(spec.checks) <= ran | daily, (name, set(spec.checks) - ran - daily)


def test_a_table_of_thousands_of_rows_renders_in_linear_time() -> None:
    # a large estate's pods-per-node or bucket table: whether to show the check column is decided once per
    # table (it was once per row, over every row: ~4 s for 5,000 rows in each human-readable format). Timed
    # as growth, not against the clock: 8x the rows must cost well under 64x (quadratic), whatever the load.
    one = finding("s3.bucket_growth", "bucket", "pass", size_gib=1.0)

    def render(n: int) -> tuple[float, list[str]]:
        rep = report([one.model_copy(update={"resource": {"id": f"bucket-{i:04}"}}) for i in range(n)])
        best, lines = float("inf"), []
        for _ in range(3):
            started = time.perf_counter()
            lines = markdown.overview_tables(rep)
            best = min(best, time.perf_counter() - started)
        return best, lines

    small, _ = render(625)
    large, lines = render(5000)
    assert large < 24 * small, (small, large)
    assert len(lines) == 5 + 5000 and lines[5] == "| pass | aws:prod/us-east-1 | bucket-0000 | 1.00 |"


@pytest.mark.parametrize("name", ["html", "markdown"])
def test_hostile_text_in_an_overview_table_stays_inert(name: str) -> None:
    # the every-format test's finding is not one a table lifts, so it never reaches a table: this one does,
    # with the payload as the database (resource) and as the slow log's statement
    from tests.reports.test_every_format_inert import CHECKS, MESSAGE, PAYLOAD, RESOURCE_ID, STATEMENT

    bad = finding(
        "rds.slow_queries", RESOURCE_ID, "fail", entries=1, top_statements=[{"statement": STATEMENT}]
    )
    rep = report([bad.model_copy(update={"message": MESSAGE})])
    (slow,) = rep.overview or []
    assert (slow.rows[0].resource, slow.rows[0].values["statement"]) == (RESOURCE_ID, STATEMENT[:100])
    renderer = formats.get(name)
    text = renderer.render(rep)
    CHECKS[renderer.media_type](text)  # no element, attribute or script of the payload's
    assert PAYLOAD[:20] not in text.split("Slowest statements", 1)[1]  # the table's cells are escaped too
