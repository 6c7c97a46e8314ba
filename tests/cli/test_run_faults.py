"""`opsbook run` when one thing is broken, as a user sees it: the documented exit code, the report on
disk, and at most one line on stderr (never a traceback, never exit 70)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.cli.main import main
from opsbook.sandbox.faults import FaultProxy

CHECKS = ["--check", "ec2.unattached_volumes", "--check", "rds.instance_not_available"]


def run_cli(
    capsys: pytest.CaptureFixture[str], doc: dict[str, Any], tmp_path: Path, *args: str
) -> tuple[int, dict | None, str]:
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(doc), encoding="utf-8")
    report = tmp_path / "report.json"
    rc = main(["--config", str(config), "run", *CHECKS, "-f", "json", "-o", str(report), *args])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.strip().splitlines()) <= 1, err
    return rc, (json.loads(report.read_text()) if report.exists() else None), err.strip()


def test_profile_that_does_not_exist(sandbox, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    doc = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")
    dev = next(a for a in doc["accounts"] if a["name"] == "dev")
    dev["profile"], dev["role_arn"] = "no-such", None
    rc, report, _ = run_cli(capsys, doc, tmp_path)
    assert rc == 3 and report is not None
    failed = {t["key"] for t in report["targets"] if t["error"]}
    assert failed == {"aws:dev/us-east-1"}
    assert any(f["status"] == "fail" for f in report["findings"] if f["target"]["account"] == "prod")


def test_endpoint_answering_empty_200(sandbox, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    doc = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")
    with FaultProxy(mode="garbage") as proxy:
        next(a for a in doc["accounts"] if a["name"] == "staging")["endpoint_url"] = proxy.url
        rc, report, _ = run_cli(capsys, doc, tmp_path)
    assert rc == 3 and report is not None
    assert {t["key"] for t in report["targets"] if t["error"]} == {"aws:staging/us-east-1"}


def test_corrupt_store_still_writes_the_report(sandbox, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "opsbook.db"
    db.write_bytes(b"garbage " * 1000)
    rc, report, err = run_cli(capsys, sandbox.config(f"sqlite:///{db}"), tmp_path)
    assert rc == 3 and report is not None
    assert report["findings"] and "not a database" in report["store_error"]
    assert err.startswith("warning: run history not saved") and "not a database" in err


def test_store_url_without_a_driver_is_exit_2(sandbox, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, report, err = run_cli(capsys, sandbox.config("mysql://u@127.0.0.1/opsbook"), tmp_path)
    assert rc == 2 and report is None
    assert err.startswith("error: storage.url: no driver for 'mysql'")


@pytest.mark.parametrize("where", ["/etc/passwd", "/etc/passwd/reports"])
def test_a_report_dir_that_cannot_be_one_fails_before_the_run(where: str, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "never-read.yaml"  # the option fails first: no config, no target
    assert main(["--config", str(config), "run", "daily", "--report-dir", where]) == 2
    err = capsys.readouterr().err
    assert "--report-dir" in err and "not a directory" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("/proc/version", "cannot create files in /proc"),
        ("/etc/passwd/out.json", "/etc/passwd is not a directory"),
    ],
)
def test_an_output_that_cannot_be_written_fails_before_the_run(
    where: str, says: str, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "never-read.yaml"  # the option fails first: no config, no target
    assert main(["--config", str(config), "run", "daily", "-o", where]) == 2
    err = capsys.readouterr().err
    assert "--output" in err and says in err and len(err.strip().splitlines()) == 1
