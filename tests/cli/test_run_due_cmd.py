"""`opsbook run due|weekly|monthly`: the calendar end to end, and the files written beside the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.cli.main import main
from opsbook.cli.run_cmd import write_exports

pytest.importorskip("moto", reason="the sandbox needs the 'sandbox' extra")


def test_run_due_on_the_first_of_december_runs_daily_tuesday_and_audit(tmp_path: Path) -> None:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    proc = subprocess.run(
        [sys.executable, "-m", "opsbook.cli.main", "run", "due", "--date", "2026-12-01", "--sandbox"]
        + ["--format", "json", "--report-dir", str(tmp_path / "rep")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode in (0, 1, 3), proc.stderr
    report = json.loads(proc.stdout)
    assert report["scope"] == "daily+weekly:tuesday+monthly:audit"
    cadences = {f["check_id"].split(".")[0] for f in report["findings"]}
    assert {"rds", "eks", "apigateway"} <= cadences  # the daily checks ran
    rep = tmp_path / "rep"
    assert (rep / "report.json").exists() and (rep / "report.md").exists()
    # the audit's IAM export is written beside the report, named for the month of the run
    month = report["started_at"][:7].replace("-", "")
    assert report["extras"]["exports"] == ["iam.authorization_export"]
    export = json.loads((rep / f"iam-audit-{month}.json").read_text())
    assert set(export["targets"]) == {"aws:dev/us-east-1", "aws:staging/us-east-1", "aws:prod/us-east-1"}


def test_bad_calendar_options_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "daily", "--day", "monday", "--sandbox"]) == 2
    assert "--day goes with `opsbook run weekly`" in capsys.readouterr().err
    assert main(["run", "monthly", "--date", "2026-12-01"]) == 2
    assert "--date goes with `opsbook run due`" in capsys.readouterr().err


def test_exports_are_written_beside_the_report(tmp_path: Path) -> None:
    exports = {
        "config.compliance_by_rule": {"aws:prod/us-east-1": [{"rule": "r", "compliance": "COMPLIANT"}]}
    }
    [path] = write_exports(exports, tmp_path, datetime(2026, 11, 30, 8, tzinfo=UTC))
    assert path.name == "compliance-202611.json"
    doc = json.loads(path.read_text())
    assert doc["inventory"] == "config.compliance_by_rule"
    assert doc["targets"]["aws:prod/us-east-1"][0]["compliance"] == "COMPLIANT"
