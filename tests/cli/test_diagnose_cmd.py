"""`opsbook diagnose` and `opsbook k8s nettest` through the CLI against the session sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsbook.cli.main import main

pytestmark = pytest.mark.usefixtures("sandbox")


@pytest.fixture()
def config_file(sandbox, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    return str(sandbox.write_config(tmp_path / "opsbook.yaml", f"sqlite:///{tmp_path}/db.sqlite"))


def test_diagnose_writes_the_bundle_with_cloudtrail_changes(
    config_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bundle"
    args = ["--config", config_file, "diagnose", "--cluster", "my-cluster", "--since", "3d", "-o", str(out)]
    assert main([*args, "-f", "json"]) == 0  # every source read
    summary = json.loads(capsys.readouterr().out)
    assert summary["bundle"] == str(out) and summary["failed"] == []
    assert "pod production/payments-5f7b9c8d4-c7xkq CrashLoopBackOff" in " ".join(
        h["problem"] for h in summary["headlines"]
    )
    # prod's hand-made changes of three days ago (seeds/tfstate_aws.py), newest first
    trail = json.loads((out / "aws-prod-us-east-1.cloudtrail.json").read_text())
    assert [e["event"] for e in trail] == [
        "AuthorizeSecurityGroupIngress", "UpdateNodegroupConfig", "PutBucketVersioning", "DeleteVolume"
    ]  # fmt: skip
    assert json.loads((out / "summary.json").read_text())["collected"]
    assert main(args) == 2  # the directory holds a bundle now: never written over
    assert "not an empty directory" in capsys.readouterr().err


def test_nettest_reports_each_probe_and_removes_its_pod(
    sandbox, config_file: str, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    base = ["--config", config_file, "k8s", "nettest", "--cluster", "my-cluster", "-n", "production"]
    assert main([*base, "payments", "--port", "8080", "--timeout", "20s"]) == 0
    shown = capsys.readouterr()
    assert "ok curl (exit 0)" in shown.out and "< HTTP/1.1 200 OK" in shown.out and "deleted" in shown.out
    assert "pod Succeeded" in shown.err  # progress on stderr
    assert main([*base, "nowhere.example.org", "-f", "json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert [(p["probe"], p["exit_code"]) for p in result["probes"]] == [
        ("curl", 6),
        ("nslookup", 1),
        ("traceroute", 1),
    ]
    assert "curl: (6) Could not resolve host: nowhere.example.org" in result["probes"][0]["output"]
    assert result["phase"] == "Failed" and result["pod_deleted"] is True
    assert main([*base, "https://x.example.org/$(reboot)"]) == 2
    assert "TARGET" in capsys.readouterr().err
    pods = sandbox.kube.store.list("pods", "production")
    assert not [p for p in pods if p["metadata"]["name"].startswith("opsbook-nettest-")]
