"""The monthly summary from the store: episodes across runs, MTTR by severity, recurring checks, rendering."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.cli.main import main
from opsbook.core.errors import InputError
from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind
from opsbook.reports import monthly
from opsbook.store import runs, summary
from opsbook.store.db import Store, open_store

PROD = Target(kind=TargetKind.AWS, account="prod", account_id="333333333333", region="us-east-1")


def f(check: str, res: str, status: Status, sev: Severity = Severity.HIGH) -> Finding:
    return Finding(
        check_id=check, status=status, severity=sev, target=PROD, resource=Resource(id=res), message=res
    )


def record(store: Store, run_id: str, when: datetime, scope: str, findings: list[Finding]) -> None:
    runs.begin_run(store, run_id=run_id, scope=scope, started_at=when, targets=[PROD])
    runs.record_target(store, run_id=run_id, target=PROD, findings=findings, error=None, seconds=1.0)
    runs.finish_run(store, run_id=run_id, status="complete", finished_at=when, api_calls={})


@pytest.fixture()
def history(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path}/h.db")
    P, F, E = Status.PASS, Status.FAIL, Status.ERROR
    med = Severity.MEDIUM
    record(
        store,
        "a",
        datetime(2026, 10, 30, 8, tzinfo=UTC),
        "daily",
        [f("c1", "x", F), f("c2", "y", F, med), f("c1", "z", P)],
    )
    record(
        store,
        "b",
        datetime(2026, 11, 2, 8, tzinfo=UTC),
        "daily",
        [f("c1", "x", F), f("c2", "y", P, med), f("c1", "z", F)],
    )
    record(store, "c", datetime(2026, 11, 3, 8, tzinfo=UTC), "weekly:monday", [f("c3", "w", F, Severity.LOW)])
    record(
        store,
        "d",
        datetime(2026, 11, 5, 8, tzinfo=UTC),
        "daily",
        [f("c1", "x", P), f("c1", "z", F), f("c2", "y", E, med)],
    )
    record(store, "e", datetime(2026, 12, 1, 8, tzinfo=UTC), "daily", [f("c1", "x", P), f("c1", "z", P)])
    yield store
    store.close()


def test_monthly_summary_counts_episodes_and_mean_time_to_resolve(history: Store) -> None:
    s = summary.monthly_summary(history, month="2026-11")
    assert s["runs"] == {
        "total": 3,
        "by_scope": {"daily": 2, "weekly:monday": 1},
        "by_status": {"complete": 3},
    }
    # opened in November: z (2 Nov) and w (3 Nov); resolved: y (2 Nov, after 72 h) and x (5 Nov, after 144 h);
    # x was not judged on 3 Nov (another scope), so that run did not resolve it
    assert s["findings"]["opened"] == 2 and s["findings"]["resolved"] == 2
    assert s["findings"]["open_at_end"] == 2  # z resolves on 1 Dec, after the month
    assert s["findings"]["opened_by_severity"] == {"high": 1, "low": 1}
    assert s["mean_time_to_resolve"] == {
        "high": {"resolved": 1, "mean_hours": 144.0},
        "medium": {"resolved": 1, "mean_hours": 72.0},
    }
    assert s["top_recurring_checks"][0] == {
        "check_id": "c1",
        "failed_runs": 2,
        "resources": 2,
        "severity": "high",
    }
    assert [t["check_id"] for t in s["top_recurring_checks"]] == ["c1", "c3"]
    assert s["incidents"] == []
    dec = summary.monthly_summary(history, month="2026-12")
    assert dec["findings"]["resolved"] == 1 and dec["mean_time_to_resolve"]["high"]["mean_hours"] == 29 * 24.0


def test_markdown_rendering_and_incident_seam(history: Store) -> None:
    seam = lambda store, start, end: [{"id": "INC-1", "title": "prod API outage", "severity": "SEV2"}]  # noqa: E731
    md = monthly.render(summary.monthly_summary(history, month="2026-11", incidents=seam))
    assert md.startswith("# opsbook monthly summary 2026-11")
    assert "| high | 1 | 6.0 days |" in md and "| medium | 1 | 3.0 days |" in md
    assert "| `c1` | 2 | 2 | high |" in md
    assert "| INC-1 | SEV2 | prod API outage |" in md and "- 1 incident (SEV2 1)" in md
    empty = monthly.render(summary.monthly_summary(history, month="2025-01"))
    assert "No runs recorded this month." in empty and "No incidents recorded." in empty


def test_report_monthly_command(history: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "opsbook.yaml"
    cfg.write_text(f"storage:\n  url: sqlite:///{tmp_path}/h.db\n", encoding="utf-8")
    assert main(["--config", str(cfg), "report", "monthly", "--month", "2026-11"]) == 0
    assert "| `c1` | 2 | 2 | high |" in capsys.readouterr().out
    assert main(["--config", str(cfg), "report", "monthly", "--month", "2026-11", "--format", "json"]) == 0
    assert '"resolved": 2' in capsys.readouterr().out
    assert main(["--config", str(cfg), "report", "monthly", "--month", "11/2026"]) == 2
    with pytest.raises(InputError):
        summary.month_bounds("2026-13")
    capsys.readouterr()
    assert main(["--config", str(cfg), "report", "monthly", "--month", "9999-12"]) == 2  # was exit 70
    err = capsys.readouterr().err.strip()
    assert "--month '9999-12': out of range" in err and len(err.splitlines()) == 1, err
    assert summary.month_bounds("9999-11")[1].year == 9999 and summary.month_bounds("0001-01")[0].year == 1
