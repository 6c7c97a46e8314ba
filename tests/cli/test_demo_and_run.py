"""End to end: `opsbook demo` (the in-process sandbox), and a second process on `sandbox up` running
`run daily -f json` (the documented report) and `run --fail-on ... -f markdown -o`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.cli.main import main
from tests.cli.helpers import OPSBOOK, die_with_parent, opsbook


def test_demo_shows_findings_and_writes_the_reports(tmp_path: Path) -> None:
    t0 = time.monotonic()
    proc = opsbook("demo", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - t0 < 60
    assert "FAIL findings at or above high" in proc.stdout
    assert "my-database-reporting is stopped" in proc.stdout
    assert "k8s:my-cluster" in proc.stdout and "k8s.node_not_ready" in proc.stdout  # AWS + K8s, one run
    assert "atmos.stacks_valid" in proc.stdout and "kubernetes_version" in proc.stdout  # and the stacks
    report = json.loads((tmp_path / "opsbook-report" / "report.json").read_text())
    md = (tmp_path / "opsbook-report" / "report.md").read_text()
    assert report["scope"] == "daily" and report["findings"]
    assert_documented_report(report)  # the in-process sandbox's run: the documented report too
    assert "## Findings that need attention" in md and "rds.instance_not_available" in md
    page = tmp_path / "opsbook-report" / "report.html"
    html = page.read_text()
    assert f"open the HTML report in a browser: {page.resolve().as_uri()}" in proc.stdout
    assert "run `opsbook serve --sandbox-store` in this directory" in proc.stdout  # on the demo's store:
    assert (tmp_path / ".opsbook" / "sandbox.db").is_file()  # the one --sandbox-store opens (tests/web)
    assert html.startswith("<!DOCTYPE html>") and report["run_id"] in html
    assert "my-database-reporting" in html and "Daily Operations / Morning Health Checks" in html


def test_unknown_check_and_scope_exit_2(tmp_path: Path) -> None:
    proc = opsbook("run", "--check", "nope.nothing", "--sandbox", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown check 'nope.nothing'" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = opsbook("run", "hourly", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown scope" in proc.stderr


def assert_documented_report(report: dict[str, Any]) -> None:
    """`run daily -f json` on the sandbox: the documented report, AWS and Kubernetes in one run."""
    for key in ("run_id", "started_at", "finished_at", "targets", "findings", "stats"):
        assert key in report
    f = next(
        f
        for f in report["findings"]
        if f["check_id"] == "rds.instance_not_available" and f["status"] == "fail"
    )
    assert f["target"]["key"] == "aws:staging/us-east-1"
    assert f["resource"]["id"] == "my-database-reporting"
    assert {"uid", "check_id", "status", "severity", "target", "resource", "message"} <= set(f)
    alarm = next(
        f
        for f in report["findings"]
        if f["check_id"] == "cloudwatch.alarms_in_alarm" and f["status"] == "fail"
    )
    assert (
        alarm["target"]["key"] == "aws:prod/us-east-1" and alarm["resource"]["id"] == "my-database-cpu-high"
    )
    assert report["stats"]["api_calls"]["aws:prod/us-east-1"]["rds:DescribeDBInstances"] == 1
    # Kubernetes in the same run: every K8s check both ways, the EKS path counted under the cluster
    k8s = [f for f in report["findings"] if f["target"]["key"] == "k8s:my-cluster"]
    by_check: dict[str, set[str]] = {}
    for f in k8s:
        by_check.setdefault(f["check_id"], set()).add(f["status"])
    assert len(by_check) >= 13 and all({"pass", "fail"} <= v for v in by_check.values()), by_check
    crash = next(f for f in k8s if f["check_id"] == "k8s.pod_not_running" and f["status"] == "fail")
    assert crash["target"]["cluster"] == "my-cluster" and crash["remediation"].startswith("kubectl get pods")
    assert report["stats"]["api_calls"]["k8s:my-cluster"]["k8s:list pods"] == 1
    assert report["stats"]["api_calls"]["k8s:my-cluster"]["eks:DescribeCluster"] == 1


def test_second_process_uses_sandbox_up(tmp_path: Path) -> None:
    cfg = tmp_path / "sb.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    up = subprocess.Popen(
        [*OPSBOOK, "sandbox", "up", "--config-out", str(cfg)],
        cwd=tmp_path,
        preexec_fn=die_with_parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not cfg.exists():
            assert up.poll() is None, up.stderr.read() if up.stderr else ""
            assert time.monotonic() < deadline, "sandbox up did not write its config"
            time.sleep(0.2)
        proc = opsbook("--config", str(cfg), "run", "daily", "-f", "json", cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr  # high-severity findings fail by default
        assert_documented_report(json.loads(proc.stdout))
        assert {t["key"] for t in json.loads(proc.stdout)["targets"]} == {
            "aws:dev/us-east-1",
            "aws:staging/us-east-1",
            "aws:prod/us-east-1",
            "k8s:my-cluster",  # EKS my-cluster, reached through the sandbox's describe_cluster + token
            "atmos:stacks",  # the sandbox's Atmos stacks tree (atmos.stacks_valid)
        }
        hist = opsbook("--config", str(cfg), "history", "-f", "json", cwd=tmp_path)
        assert hist.returncode == 0 and json.loads(hist.stdout)[0]["scope"] == "daily"
        # --fail-on and a Markdown file, on the same sandbox (rds.cpu_high is medium: below critical)
        out = tmp_path / "r.md"
        argv = [
            "--config",
            str(cfg),
            "run",
            "--check",
            "rds.cpu_high",
            "--fail-on",
            "critical",
            "-f",
            "markdown",
        ]
        proc = opsbook(*argv, "-o", str(out), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        text = out.read_text()
        assert text.startswith("# opsbook check:rds.cpu_high run") and "my-database CPU averaged" in text
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=30)
    assert not cfg.exists()  # removed on the way down


def test_a_run_whose_store_fails_shows_its_table_and_exits_3(sandbox, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """No history, so no comparison: the terminal table and `-f markdown` say so (they used to end in
    `internal error: KeyError` with exit 70, losing the run's only record)."""
    db = tmp_path / "opsbook.db"
    db.write_bytes(b"garbage " * 1000)
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(sandbox.config(f"sqlite:///{db}")), encoding="utf-8")
    capsys.readouterr()
    assert main(["--config", str(config), "run", "--check", "rds.instance_not_available"]) == 3
    out, err = capsys.readouterr()
    assert "not compared with the previous run" in out and "INCOMPLETE" in out
    assert "internal error" not in err and err.startswith("warning: run history not saved")
    page = tmp_path / "r.md"
    args = ["--config", str(config), "run", "--check", "rds.instance_not_available", "-f", "markdown"]
    assert main([*args, "-o", str(page)]) == 3
    assert "- since previous run: not compared" in page.read_text()


def test_the_demo_names_the_opsbook_to_run_when_the_shell_would_not_find_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`make demo` installs into .venv without putting it on PATH: the serve hint says which opsbook to run."""
    import sys

    from opsbook.cli.sandbox_cmd import _not_on_path

    mine = Path(sys.executable).parent / "opsbook"
    if not mine.exists():
        pytest.skip(f"no {mine}: opsbook is not installed beside this python")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # a shell that finds no opsbook
    assert _not_on_path() == f" (opsbook is {mine} here)"
    monkeypatch.setenv("PATH", str(mine.parent))  # a shell that finds this one
    assert _not_on_path() == ""
    monkeypatch.chdir(mine.parent.parent.parent)  # the checkout: shown relative, as `make demo` users see it
    monkeypatch.setenv("PATH", str(tmp_path))
    assert _not_on_path() == f" (opsbook is {mine.relative_to(mine.parent.parent.parent)} here)"
