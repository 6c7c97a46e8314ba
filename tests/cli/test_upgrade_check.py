"""`opsbook upgrade check` on the session sandbox: its exit codes (0 ready, 1 blockers, 2 bad input, 3
unreadable), the table and JSON, and the real command in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.cli.main import main
from tests.cli.helpers import opsbook
from tests.engine import upgrade_cases as cases

pytestmark = pytest.mark.usefixtures("sandbox")
BASE = ("upgrade", "check", "--cluster", "my-cluster")


@pytest.fixture()
def config(sandbox: Any, tmp_path: Path) -> Path:
    path = tmp_path / "opsbook.yaml"
    path.write_text(yaml.safe_dump(sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")), encoding="utf-8")
    return path


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["--config", str(config), *BASE, *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_ready_is_0_and_the_json_says_why(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(config, capsys, "--to", cases.TO, "-f", "json")
    doc = json.loads(out)
    assert rc == 0 and doc["ready"] is True and doc["exit_code"] == 0
    assert (doc["from_version"], doc["to_version"]) == (cases.KUBERNETES_VERSION, cases.TO)
    assert doc["counts"]["blockers"] == 0 and doc["counts"]["warnings"] == 1  # kube-proxy, after the upgrade
    assert {f["check_id"] for f in doc["findings"]} >= {"upgrade.version_step", "upgrade.kubelet_skew"}
    assert doc["findings"][0]["status"] == "fail" and doc["findings"][0]["uid"]  # the warning comes first


def test_blockers_are_1_with_the_table_naming_them(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(config, capsys, "--account", "dev", "--region", "us-east-1")  # dev's skewed node group
    assert rc == 1
    assert "BLOCKERS (1)" in out and "upgrade.nodegroup_skew" in out and "my-cluster/application" in out
    assert f"my-cluster {cases.KUBERNETES_VERSION} -> {cases.TO}: 1 blockers" in out and "NOT READY" in out
    rc, out, _ = run(config, capsys, "--account", "dev", "--fail-on", "critical")  # only critical would block
    assert rc == 0 and "WARNINGS" in out and "READY" in out


def test_bad_input_is_2_in_one_line(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args, says in (
        (("--to", "1.33.1"), "--to '1.33.1': expected a Kubernetes minor version, e.g. 1.33"),
        (("--to", "latest"), "--to 'latest'"),
        (("--to", "2.0"), "--to '2.0'"),  # not Kubernetes 1.x: no skew arithmetic across majors
    ):
        rc, out, err = run(config, capsys, *args)
        assert rc == 2 and says in err and len(err.strip().splitlines()) == 1 and not out
    capsys.readouterr()
    assert main(["--config", str(config), "upgrade", "check", "--cluster", "nope"]) == 2
    assert "unknown cluster 'nope'" in capsys.readouterr().err


def test_an_unreachable_account_is_3_not_ready(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")
    for acct in doc["accounts"]:
        if acct["name"] == "prod":
            acct["endpoint_url"] = "http://127.0.0.1:9"  # nothing listens there
    path = tmp_path / "dead.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    rc, out, _ = run(path, capsys, "--to", cases.TO, "-f", "json")
    result = json.loads(out)
    assert rc == 3 and result["ready"] is False and result["counts"]["unreadable"] >= 1
    assert result["findings"][0]["status"] == "error"


def test_the_command_in_a_subprocess(config: Path, tmp_path: Path) -> None:
    done = opsbook("--config", str(config), *BASE, "--to", cases.TO, "--show-passing", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"READY for {cases.TO} (see the warnings)" in done.stdout
    assert "PASSED" in done.stdout and "upgrade.pdb_blocks_drain" in done.stdout
