"""The Markdown report's performance section lifts measured latency, percentiles, CPU and slow statements."""

from __future__ import annotations

from opsbook.reports import markdown, model


def finding(check: str, resource: str, status: str, **details: object) -> model.ReportFinding:
    return model.ReportFinding.model_validate(
        {
            "uid": resource,
            "check_id": check,
            "status": status,
            "severity": "medium",
            "target": {"kind": "aws", "key": "aws:prod/us-east-1"},
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
        }
    )


def test_percentiles_cpu_and_slowest_statement_are_tabled() -> None:
    text = markdown.render(
        report(
            [
                finding(
                    "apigateway.latency_weekly",
                    "my-api",
                    "fail",
                    latency_avg_ms=812.5,
                    latency_p50_ms=640.0,
                    latency_p95_ms=1900.0,
                ),
                finding("rds.cpu_high", "my-database", "pass", cpu_avg=20.3, cpu_max=24.0),
                finding(
                    "rds.slow_queries",
                    "my-database",
                    "fail",
                    top_statements=[
                        {
                            "statement": "SELECT * FROM orders",
                            "count": 42,
                            "total_ms": 90000.0,
                            "max_ms": 7000.0,
                        }
                    ],
                ),
                finding("rds.instance_not_available", "x", "pass", engine="postgres"),
            ]
        )
    )
    section = text.split("## Performance", 1)[1]
    assert (
        "| `apigateway.latency_weekly` | aws:prod/us-east-1 | my-api | 812.5 | 640.0 | 1,900.0 |" in section
    )
    assert "| `rds.cpu_high` | aws:prod/us-east-1 | my-database |" in section and "20.3" in section
    assert "42x, 90,000.0 ms total, 7,000.0 ms max: `SELECT * FROM orders`" in section
    assert "rds.instance_not_available" not in section.split("## Passing")[0]


def test_no_measurements_no_section() -> None:
    text = markdown.render(report([finding("rds.instance_not_available", "x", "pass")]))
    assert "## Performance" not in text
    assert "`rds.instance_not_available`: 1" in text
