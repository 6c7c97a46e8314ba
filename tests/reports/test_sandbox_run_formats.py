"""One daily run on the sandbox estate (AWS, Kubernetes and Atmos findings), every registered format rendered
from it: OCSF validated against the OCSF schema, JUnit against its XSD, JSON and CSV parsed."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from opsbook.cli.main import main
from opsbook.core.config import Config
from opsbook.core.models import Severity
from opsbook.engine import service
from opsbook.reports import formats, model
from tests.reports.schemas import junit_schema, ocsf_validator


def test_every_format_of_a_sandbox_run_validates(sandbox_config: Config) -> None:
    result = service.run(sandbox_config, service.RunRequest(scopes=["daily"]))
    report = model.build(result, Severity.HIGH)
    kinds = {f.target.kind for f in report.findings}
    assert kinds == {"aws", "k8s", "atmos"} and len(report.findings) > 100
    text = {name: renderer.render(report) for name, renderer in formats.FORMATS.items()}

    events = json.loads(text["ocsf"])
    assert [e["finding_info"]["uid"] for e in events] == [f.uid for f in report.findings]
    for event in events:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in ocsf_validator().iter_errors(event)]
        assert not errors, (event["metadata"]["event_code"], errors)
    stopped = next(e for e in events if e["metadata"]["event_code"] == "rds.instance_not_available"
                   and e["status_code"] == "FAIL")  # fmt: skip
    assert stopped["resources"][0]["name"] == "my-database-reporting"
    assert stopped["cloud"]["account"]["name"] == "staging" and stopped["cloud"]["region"] == "us-east-1"

    junit = junit_schema()
    errors = [f"{e.path}: {e.reason}" for e in junit.iter_errors(text["junit"])]
    assert not errors, errors[:5]
    statuses: dict[tuple[str, str], set[str]] = {}
    for f in report.findings:
        statuses.setdefault((f.check_id, f.target.key), set()).add(f.status)
    failing = {pair for pair, seen in statuses.items() if "fail" in seen and "error" not in seen}
    cases = ET.fromstring(text["junit"]).iter("testcase")
    assert {(c.get("name"), c.get("classname")) for c in cases if c.find("failure") is not None} == failing

    assert json.loads(text["json"])["run_id"] == report.run_id
    assert len(list(csv.reader(io.StringIO(text["csv"])))) == 1 + len(report.findings)
    assert (
        text["html"].count("<script") == 1 and "my-database-reporting" in text["html"]
    )  # its own script only
    assert "rds.instance_not_available" in text["markdown"]


def test_run_writes_ocsf_to_a_file(sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`opsbook run --check C -f ocsf -o FILE` on the sandbox: the file is the events of that run."""
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")), encoding="utf-8")
    out = tmp_path / "findings.ocsf.json"
    args = [
        "--config",
        str(config),
        "run",
        "--check",
        "rds.instance_not_available",
        "-f",
        "ocsf",
        "-o",
        str(out),
    ]
    assert main(args) == 1  # a high-severity finding fails the run, as in every format
    events = json.loads(out.read_text())
    assert {e["metadata"]["event_code"] for e in events} == {"rds.instance_not_available"}
    assert all(ocsf_validator().is_valid(e) for e in events)
    stopped = [e for e in events if e["status_code"] == "FAIL"]
    assert [e["resources"][0]["uid_alt"] for e in stopped] == ["my-database-reporting"]
    assert stopped[0]["resources"][0]["uid"] == "arn:aws:rds:us-east-1:222222222222:db:my-database-reporting"
    assert stopped[0]["severity_id"] == 4 and stopped[0]["cloud"]["account"]["name"] == "staging"
