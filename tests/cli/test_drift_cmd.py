"""`opsbook drift ignore|ignores|unignore` (the ignores file, bad dates exit 2) and the guide's
`atmos workflow drift-detection tenant=... account=... environment=...` (exit 1 on drift), in process."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from opsbook.cli.main import main
from tests.procedures.tf_sandbox import copy_tree, needs_terraform, sandbox_config_file

DEV = "mycompany-dev-use1"


@pytest.fixture()
def ignores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "drift-ignores.yaml"
    monkeypatch.setenv("OPSBOOK_DRIFT_IGNORES", str(path))
    return path


def test_ignore_list_and_unignore(ignores: Path, capsys: pytest.CaptureFixture[str]) -> None:
    soon = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    base = ["drift", "ignore", "terraform_data.db", "--stack", DEV, "--reason", "db migration"]
    assert main([*base, "--until", "31/12/2026"]) == 2
    assert "--until '31/12/2026': expected a date, YYYY-MM-DD" in capsys.readouterr().err
    assert main([*base, "--until", "2020-01-01"]) == 2
    assert "the date is in the past" in capsys.readouterr().err
    assert not ignores.exists()  # nothing half-written
    assert main([*base, "--until", soon, "--attribute", "input.deletion_protection"]) == 0
    assert main([*base, "--until", soon]) == 0
    rows = yaml.safe_load(ignores.read_text())["ignores"]
    assert [(r["address"], r["stack"], r.get("attribute"), r["until"], r["reason"]) for r in rows] == [
        ("terraform_data.db", DEV, "input.deletion_protection", soon, "db migration"),
        ("terraform_data.db", DEV, None, soon, "db migration"),
    ]
    capsys.readouterr()
    assert main(["drift", "ignores", "-f", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["file"] == str(ignores) and [r["active"] for r in listed["ignores"]] == [True, True]
    assert main(["drift", "unignore", "terraform_data.db", "--stack", DEV]) == 0
    assert [r.get("attribute") for r in yaml.safe_load(ignores.read_text())["ignores"]] == [
        "input.deletion_protection"
    ]
    assert main(["drift", "unignore", "terraform_data.db", "--stack", DEV]) == 2
    assert "no ignore of terraform_data.db" in capsys.readouterr().err
    ignores.write_text("ignores:\n  - address: x\n    stack: s\n    until: someday\n    reason: r\n")
    assert main(["drift", "ignores"]) == 2
    assert f"{ignores}:4:5: until:" in capsys.readouterr().err


@needs_terraform
def test_the_guides_drift_workflow_exits_1_on_drift(sandbox, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = sandbox_config_file(sandbox, copy_tree(tmp_path / "tree"), tmp_path)
    args = ["--config", str(config), "workflow", "run", "drift-detection"]
    assert main([*args, "tenant=mycompany", "account=nope", "environment=use1"]) == 2
    assert "no stack matches tenant=mycompany account=nope environment=use1" in capsys.readouterr().err
    assert main([*args, "tenant=mycompany", "account=dev", "environment=use1"]) == 1
    err = capsys.readouterr().err
    assert "drift detection finished" in err or "step4" in err
    assert err.strip().splitlines()[-1] == f"terraform plan shows changes (drift) for: rds in {DEV}"


def test_ignore_refuses_a_stack_the_stacks_do_not_have(
    ignores: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import opsbook.sandbox

    stacks = Path(opsbook.sandbox.__file__).parent / "stacks"
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump({"stacks": {"atmos_config": str(stacks)}}), encoding="utf-8")
    soon = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    base = ["--config", str(config), "drift", "ignore", "terraform_data.db", "--until", soon, "--reason", "r"]
    assert main([*base, "--stack", "mycompany-dev-use9"]) == 2
    assert "invalid stack 'mycompany-dev-use9'" in capsys.readouterr().err
    assert not ignores.exists()  # nothing written for a typo
    assert main([*base, "--stack", DEV]) == 0
    assert [r["stack"] for r in yaml.safe_load(ignores.read_text())["ignores"]] == [DEV]
