"""`--format ocsf`: every finding an OCSF Detection Finding that validates against the OCSF schema
(tests/reports/schemas.py: generated offline from OCSF's own export for ocsf.VERSION)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opsbook.cli.run_cmd import render
from opsbook.core.checks import CHECKS
from opsbook.core.models import Resource, Severity, Status, Target, TargetKind
from opsbook.reports import formats, model
from opsbook.reports.formats import ocsf
from tests.reports.sample import Chunks, finding, run_result
from tests.reports.schemas import ocsf_validator as validator

STACKS = Target(kind=TargetKind.ATMOS)  # no account, region or resource: still a valid event


def report(compared: bool = True) -> model.Report:
    result = run_result(compared=compared)
    extra = [
        finding("opsbook.estate", Status.ERROR, Severity.HIGH, STACKS, None, message="stacks unreadable"),
        finding("iam.old_keys", Status.FAIL, Severity.CRITICAL, result.outcomes[0].target, None,
                message="old key", remediation="rotate").model_copy(
            update={"resource": Resource(id="AKIA1", type="iam-key", arn="arn:aws:iam::1:user/a", name="a")}),
    ]  # fmt: skip
    result.outcomes[0].findings.extend(extra)
    return model.build(result, Severity.HIGH)


def events(r: model.Report) -> list[dict[str, Any]]:
    data = json.loads(formats.get("ocsf").render(r))
    assert isinstance(data, list) and len(data) == len(r.findings)
    return data


@pytest.mark.parametrize("compared", [True, False])
def test_every_finding_validates_against_the_ocsf_schema(compared: bool) -> None:
    for event in events(report(compared)):
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(event)]
        assert not errors, (event["finding_info"]["uid"], errors)
        assert event["class_uid"] == 2004 and event["category_uid"] == 2
        assert event["metadata"]["version"] == ocsf.VERSION == "1.5.0"
        assert event["type_uid"] == 2004 * 100 + event["activity_id"]


def test_the_schema_refuses_what_ocsf_does_not_allow() -> None:
    """The validation is real: a wrong class, an unknown field, a missing product are caught."""
    event = events(report())[0]
    assert validator().is_valid(event)
    assert not validator().is_valid(event | {"class_uid": 2003})
    assert not validator().is_valid(event | {"check_id": "x"})
    assert not validator().is_valid(event | {"metadata": {"version": ocsf.VERSION}})
    assert not validator().is_valid(event | {"status_id": 7})


def test_status_severity_activity_and_resources_follow_the_finding() -> None:
    r = report()
    by_check = {e["metadata"]["event_code"]: e for e in events(r)}
    still = by_check["rds.instance_not_available"]  # failing, and failing in the previous run
    assert (still["status_id"], still["status"], still["status_code"]) == (1, "New", "FAIL")
    assert (still["activity_id"], still["activity_name"], still["severity_id"]) == (2, "Update", 4)
    assert still["is_alert"] is True and still["remediation"] == {"desc": "aws rds start-db-instance"}
    assert still["cloud"] == {"provider": "AWS", "account": {"uid": "111111111111", "name": "prod"},
                              "region": "us-east-1"}  # fmt: skip
    assert still["resources"] == [{"uid": "my-database-reporting", "name": "my-database-reporting",
                                   "type": "x", "region": "us-east-1"}]  # fmt: skip
    assert (
        still["unmapped"]["details"] == {"state": "stopped"}
        and still["unmapped"]["change"] == "still_failing"
    )
    info = still["finding_info"]
    assert info["uid"] == next(f.uid for f in r.findings if f.check_id == "rds.instance_not_available")
    assert info["title"] == CHECKS.get("rds.instance_not_available").title
    assert info["types"] == [CHECKS.get("rds.instance_not_available").section]
    assert info["analytic"]["uid"] == "rds.instance_not_available"
    new = by_check["ec2.unattached_volumes"]
    assert (new["activity_id"], new["severity_id"], new["unmapped"]["proposal"]["procedure"]) == (
        1,
        2,
        "cleanup",
    )
    window = by_check["k8s.pods_crashlooping"]  # failing inside a maintenance window
    assert (window["status_id"], window["status"], window["is_alert"], window["severity_id"]) == (
        3,
        "Suppressed",
        False,
        5,
    )
    assert window["cloud"] == {"provider": "AWS"} and window["unmapped"]["cluster"] == "my-cluster"
    passed = by_check["rds.cpu_high"]
    assert (passed["status_id"], passed["activity_id"], passed["status_code"]) == (4, 3, "PASS")
    assert passed["unmapped"]["details"]["seen"] == "2026-12-01 06:00:00+00:00"
    assert (by_check["k8s.pods_not_ready"]["status_id"], by_check["k8s.pods_not_ready"]["status"]) == (
        99,
        "Error",
    )
    skipped = by_check["rds.storage_low"]  # target-wide: the target is the resource
    assert skipped["status"] == "Skipped" and skipped["resources"][0]["uid"] == "aws:prod/us-east-1"
    stacks = by_check["opsbook.estate"]  # the engine's own, no check in the registry
    assert stacks["resources"] == [{"uid": "atmos:*", "name": "atmos:*", "type": "opsbook atmos target"}]
    assert stacks["finding_info"]["title"] == "opsbook.estate" and "types" not in stacks["finding_info"]
    key = by_check["iam.old_keys"]["resources"][0]
    assert (key["uid"], key["uid_alt"], key["name"]) == ("arn:aws:iam::1:user/a", "AKIA1", "a")
    assert {e["time"] for e in by_check.values()} == {1796104800000}  # the run's start, epoch ms
    meta = still["metadata"]
    assert meta["product"] == {"name": "opsbook", "vendor_name": "opsbook", "version": r.opsbook_version}
    assert meta["correlation_uid"] == r.run_id and meta["uid"] == f"{r.run_id}/{info['uid']}"


def test_the_array_is_streamed_and_written_by_run(tmp_path: Path) -> None:
    r = report()
    fh = Chunks()
    formats.write("ocsf", r, fh)
    assert fh.writes > len(r.findings) and fh.getvalue() == formats.get("ocsf").render(r)
    out = tmp_path / "findings.ocsf.json"
    render(r, "ocsf", out, show_passing=False, stats=False)  # `opsbook run -f ocsf -o FILE`
    assert [e["finding_info"]["uid"] for e in json.loads(out.read_text())] == [f.uid for f in r.findings]
    empty = r.model_copy(update={"findings": []})
    assert json.loads(formats.get("ocsf").render(empty)) == []
