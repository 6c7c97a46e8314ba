"""The drift report from the run history: the latest drift run against the previous one of an earlier
day, grouped by stack and component (new / still drifting / resolved; ignored and errors apart), and
`opsbook drift report` writing drift-report-YYYYMMDD.json and .md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind
from opsbook.engine.drift import build_report
from opsbook.store import runs
from opsbook.store.db import open_store

STACKS = Target(kind=TargetKind.ATMOS, stack="tree")
DEV = "mycompany-dev-use1"


def drift(status: Status, component: str, address: str, **extra: object) -> Finding:
    details = {"stack": DEV, "component": component, "address": address, "file": f"stacks/{component}.yaml",
               "action": "update", "attributes": {"input.size": [1, 2]}, **extra}  # fmt: skip
    resource = Resource(id=f"{DEV}/{component}" + (f"/{address}" if status is Status.FAIL or extra else ""))
    return Finding(check_id="drift.terraform_plan", status=status, severity=Severity.MEDIUM, target=STACKS,
                   resource=resource, message=f"{component} {address}", details=details)  # fmt: skip


def record(store, run_id: str, when: datetime, findings: list[Finding]) -> None:  # type: ignore[no-untyped-def]
    runs.begin_run(store, run_id=run_id, scope="drift", started_at=when, targets=[STACKS])
    runs.record_target(store, run_id=run_id, target=STACKS, findings=findings, error=None, seconds=1.0)
    runs.finish_run(store, run_id=run_id, status="complete", finished_at=when, api_calls={})


@pytest.fixture()
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = open_store(f"sqlite:///{tmp_path}/o.db")
    friday, next_friday = datetime(2026, 11, 20, 9, tzinfo=UTC), datetime(2026, 11, 27, 9, tzinfo=UTC)
    record(s, "r1", friday, [drift(Status.FAIL, "rds", "terraform_data.db"),
                             drift(Status.FAIL, "dns", "output.name_servers"),
                             drift(Status.FAIL, "eks", "terraform_data.cluster")])  # fmt: skip
    record(s, "r2", next_friday, [
        drift(Status.FAIL, "rds", "terraform_data.db"),  # still drifting
        drift(Status.PASS, "dns", ""),  # planned clean now: resolved
        drift(Status.ERROR, "eks", ""),  # could not be planned: neither resolved nor still
        drift(Status.FAIL, "vpc", "terraform_data.vpc"),  # new
        drift(Status.SKIPPED, "rds/reporting", "terraform_data.db",
              ignored=[{"until": "2026-12-31", "reason": "migration", "attribute": None}]),
    ])  # fmt: skip
    # a second run the same Friday compares with last Friday's too, not with this morning's
    record(s, "r3", next_friday.replace(hour=10), [drift(Status.FAIL, "rds", "terraform_data.db"),
                                                   drift(Status.PASS, "dns", ""),
                                                   drift(Status.FAIL, "vpc", "terraform_data.vpc")])  # fmt: skip
    yield s
    s.close()


def test_new_still_and_resolved_since_the_previous_friday(store) -> None:  # type: ignore[no-untyped-def]
    report = build_report(store)
    assert (report["run_id"], report["previous_run_id"]) == ("r3", "r1")
    assert report["counts"] == {"new": 1, "still_drifting": 1, "resolved": 1, "ignored": 0, "errors": 0}
    got = {c: [e["state"] for e in entries] for c, entries in report["stacks"][DEV].items()}
    assert got == {"dns": ["resolved"], "rds": ["still_drifting"], "vpc": ["new"]}  # eks: not planned in r3
    rds = report["stacks"][DEV]["rds"][0]
    assert rds["address"] == "terraform_data.db" and rds["attributes"] == {"input.size": [1, 2]}


def test_ignored_and_errors_are_listed_apart(store) -> None:  # type: ignore[no-untyped-def]
    from opsbook.store.models import RunRow

    with store.session() as s, s.begin():  # without r3, r2 is the latest
        s.delete(s.get(RunRow, "r3"))
    report = build_report(store)
    assert report["counts"] == {"new": 1, "still_drifting": 1, "resolved": 1, "ignored": 1, "errors": 1}
    (ignored,) = report["stacks"][DEV]["rds/reporting"]
    assert ignored["state"] == "ignored" and ignored["ignored"][0]["reason"] == "migration"
    assert [e["state"] for e in report["stacks"][DEV]["eks"]] == ["errors"]


def test_the_cli_writes_the_files_the_guide_reads(store, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from opsbook.cli.main import main

    config = tmp_path / "opsbook.yaml"
    config.write_text(f"storage:\n  url: sqlite:///{tmp_path}/o.db\n")
    assert main(["--config", str(config), "drift", "report", "--out", str(tmp_path / ".atmos")]) == 0
    doc = json.loads((tmp_path / ".atmos/drift-report-20261127.json").read_text())
    assert doc["counts"]["new"] == 1
    md = (tmp_path / ".atmos/drift-report-20261127.md").read_text()
    assert f"## {DEV}" in md and "**New** `terraform_data.vpc`" in md and "**Resolved**" in md
    empty = tmp_path / "empty.yaml"
    empty.write_text(f"storage:\n  url: sqlite:///{tmp_path}/empty.db\n")
    assert main(["--config", str(empty), "drift", "report", "--out", str(tmp_path)]) == 2
    assert "no run with drift checks" in capsys.readouterr().err


def test_findings_no_stack_holds_are_grouped_by_account(tmp_path: Path) -> None:
    """drift.unmanaged: a run that checked only prod resolves none of staging's earlier findings."""
    from opsbook.reports.drift import render_markdown

    prod, staging = (Target(kind=TargetKind.AWS, account=a, region="us-east-1") for a in ("prod", "staging"))

    def unmanaged(target: Target, status: Status, rid: str) -> Finding:
        return Finding(check_id="drift.unmanaged", status=status, severity=Severity.LOW, target=target,
                       resource=Resource(id=rid, type="aws_iam_role"), message=f"{rid} in no state",
                       details={"kind": "unmanaged", "source": "config"})  # fmt: skip

    s = open_store(f"sqlite:///{tmp_path}/o.db")
    try:
        for run_id, day, found in (
            ("r1", 20, [unmanaged(prod, Status.FAIL, "old"), unmanaged(staging, Status.FAIL, "kept")]),
            ("r2", 27, [unmanaged(prod, Status.PASS, "aws_iam_role")]),  # `run --account prod`
        ):
            when = datetime(2026, 11, day, 9, tzinfo=UTC)
            runs.begin_run(s, run_id=run_id, scope="drift", started_at=when, targets=[prod, staging])
            for t in (prod, staging):
                mine = [f for f in found if f.target == t]
                runs.record_target(s, run_id=run_id, target=t, findings=mine, error=None, seconds=1.0)
            runs.finish_run(s, run_id=run_id, status="complete", finished_at=when, api_calls={})
        report = build_report(s)
    finally:
        s.close()
    assert report["counts"]["resolved"] == 1
    assert {a: [e["address"] for e in es] for a, es in report["stacks"]["(no stack)"].items()} == {
        "prod": ["old"]
    }
    md = render_markdown(report)
    assert "## (no stack)\n\n### prod\n" in md and "?" not in md


def test_the_markdown_keeps_drifted_values_inert() -> None:
    """Drifted values come from Terraform and the live estate: a tag like `<script>` or `![x](url)` reaches
    a PR or wiki as text; an address keeps its code span even with a backtick in it."""
    from opsbook.reports.drift import render_markdown

    entry = {"state": "new", "address": 'aws_s3_bucket.b["a`b"]', "action": "update", "message": "m",
             "attributes": {"tags.Name": ["ok", "<script>alert(1)</script> ![x](https://e.invalid/p.png)"]}}  # fmt: skip
    report = {"counts": {k: 0 for k in ("new", "still_drifting", "resolved", "errors", "ignored")},
              "run_id": "r1", "run_started_at": "2026-12-01T09:00:00", "previous_run_started_at": None,
              "stacks": {"plat-ue1-prod": {"s3": [entry]}}}  # fmt: skip
    md = render_markdown(report)
    assert "<script>" not in md and "![x](" not in md and "&lt;script>" in md
    assert "`aws_s3_bucket.b[\"a'b\"]` update: `tags.Name` 'ok' -> '&lt;script>" in md
