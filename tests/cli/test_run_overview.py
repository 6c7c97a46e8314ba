"""`opsbook run monthly --part capacity --report-dir DIR` on the sandbox (in-process): the capacity tables
on the terminal, in report.md and report.html, and as the JSON `overview`, passing rows included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opsbook.cli.main import main


def test_the_capacity_run_shows_its_capacity_tables(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    config = sandbox.write_config(tmp_path / "opsbook.yaml", f"sqlite:///{tmp_path}/opsbook.db")
    out = tmp_path / "out"
    code = main(["--config", str(config), "run", "monthly", "--part", "capacity", "--report-dir", str(out)])
    assert code == 1  # prod's node group and database fail; the tables show every row regardless
    terminal = capsys.readouterr().out
    titles = ["Capacity: EKS node groups", "Capacity: pods per node", "Capacity: RDS storage (GiB)", "Capacity: S3 bucket sizes (GiB)",
              "Capacity: next month's cost forecast"]  # fmt: skip
    assert all(t in terminal for t in titles), terminal
    report = json.loads((out / "report.json").read_text())
    groups = next(t for t in report["overview"] if t["name"] == "capacity.nodegroups")
    dev = next(
        r
        for r in groups["rows"]
        if r["target"] == "aws:dev/us-east-1" and r["resource"] == "my-cluster/system"
    )
    assert dev["status"] == "pass" and dev["values"]["max"] > dev["values"]["desired"]
    md = (out / "report.md").read_text()
    row = f"| pass | aws:dev/us-east-1 | my-cluster/system | {dev['values']['min']} | {dev['values']['desired']} | {dev['values']['max']} |"  # fmt: skip
    assert row in md and all(f"## {t}" in md for t in titles)
    assert 'data-overview="capacity.forecast"' in (out / "report.html").read_text()
