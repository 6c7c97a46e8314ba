"""`reconcile` (guide: Friday drift, "Reconcile drift") end to end with the CLI and real Terraform on a copy
of the sandbox's stacks tree, its state in the sandbox's S3: `drift detect` finds the drift, `plan
reconcile --accept | --correct` shows it, `apply` clears it (read back from the state object), the next
`drift detect` finds none, and a second apply changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opsbook.sandbox.aws.seeds.state import NAME_SERVERS, NAME_SERVERS_NOW
from tests.procedures.tf_sandbox import (
    copy_tree,
    needs_terraform,
    restoring,
    s3_client,
    sandbox_config_file,
    state,
)

pytestmark = needs_terraform
DEV = "mycompany-dev-use1"


@pytest.fixture()
def env(sandbox, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    from opsbook.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPSBOOK_DRIFT_IGNORES", str(tmp_path / "ignores.yaml"))
    config = sandbox_config_file(sandbox, copy_tree(tmp_path / "tree"), tmp_path)
    return (lambda *args: main(["--config", str(config), *args])), s3_client(sandbox), sandbox


def detect(cli: Any, capsys: Any, component: str) -> tuple[int, list[dict[str, Any]]]:
    code = cli("drift", "detect", "--stack", DEV, "--component", component, "--kind", "plan", "-f", "json")
    report = json.loads(capsys.readouterr().out)
    return code, [f for f in report["findings"] if f["status"] == "fail"]


def test_accept_records_the_live_values_and_the_drift_is_gone(env, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli, s3, sandbox = env
    with restoring(sandbox, "dns", ("dev",)):
        code, drift = detect(cli, capsys, "dns")
        assert code == 1 and [f["details"]["address"] for f in drift] == ["output.name_servers"]
        assert cli("plan", "reconcile", "--stack", DEV, "--component", "dns", "--accept", "-o", "p.json") == 0
        shown = capsys.readouterr().out
        assert "update output.name_servers" in shown and "refresh-only" in shown
        assert json.loads(Path("p.json").read_text())["items"][0]["params"]["mode"] == "accept"
        assert (
            state(s3, "dev", "dns")["outputs"]["name_servers"]["value"] == NAME_SERVERS
        )  # planning wrote nothing

        assert cli("apply", "p.json", "--yes") == 0
        assert state(s3, "dev", "dns")["outputs"]["name_servers"]["value"] == NAME_SERVERS_NOW
        capsys.readouterr()
        assert detect(cli, capsys, "dns") == (0, [])
        assert cli("apply", "p.json", "--yes", "-f", "json") == 0  # a second apply is a no-op
        assert {o["result"] for o in json.loads(capsys.readouterr().out)["outcomes"]} == {"already-done"}


def test_correct_applies_the_configuration_and_the_drift_is_gone(env, capsys) -> None:  # type: ignore[no-untyped-def]
    cli, s3, sandbox = env
    with restoring(sandbox, "rds", ("dev",)):
        code, drift = detect(cli, capsys, "rds")
        assert code == 1 and drift[0]["details"]["attributes"]["input.backup_retention_period"] == [1, 7]
        # accepting cannot clear it: the configuration disagrees with what is live (the plan says so)
        assert cli("plan", "reconcile", "--stack", DEV, "--component", "rds", "--accept") == 0
        assert "nothing to reconcile" in capsys.readouterr().out
        assert (
            cli("plan", "reconcile", "--stack", DEV, "--component", "rds", "--correct", "-o", "c.json") == 0
        )
        assert "update terraform_data.db: input.backup_retention_period 1 -> 7" in capsys.readouterr().out
        assert cli("apply", "c.json", "--yes") == 0
        db = next(r for r in state(s3, "dev", "rds")["resources"] if r["name"] == "db")
        assert db["instances"][0]["attributes"]["input"]["value"]["backup_retention_period"] == 7
        capsys.readouterr()
        assert detect(cli, capsys, "rds") == (0, [])


def test_bad_usage_is_refused_before_terraform_runs(env, capsys) -> None:  # type: ignore[no-untyped-def]
    cli, _, _ = env
    assert cli("plan", "reconcile", "--stack", DEV, "--component", "dns") == 2
    assert "exactly one of --accept" in capsys.readouterr().err
    assert cli("plan", "reconcile", "--stack", DEV, "--component", "dsn", "--correct") == 2
    assert "did you mean rds, dns" in capsys.readouterr().err
    assert cli("drift", "detect", "--stack", "mycompany-dev-use2") == 2
    assert "did you mean mycompany-dev-use1" in capsys.readouterr().err
    assert cli("drift", "detect", "--component", "dsn") == 2
    assert "--component dsn: no stack defines it" in capsys.readouterr().err
    assert cli("drift", "detect", "--kind", "nope") == 2
    assert "--kind 'nope': expected one of plan, live, unmanaged" in capsys.readouterr().err


def test_a_maintenance_plan_embeds_the_stack_apply_as_its_work(
    env, capsys, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from opsbook import notify

    cli, _s3, _sandbox = env
    monkeypatch.setattr(notify, "publish", lambda cfg, event, store=None: [])
    assert cli("maintenance", "schedule", "--at", "2030-01-01T02:00Z", "--duration", "2h", "--targets", "account=dev",
               "-f", "json") == 0  # fmt: skip
    window = json.loads(capsys.readouterr().out)[0]["id"]
    assert (
        cli("plan", "maintenance", "--window", str(window), "--work-stack", f"{DEV}:dns", "-o", "m.json") == 0
    )
    items = json.loads(Path("m.json").read_text())["items"]
    assert [(i["id"], i["kind"]) for i in items] == [
        ("work:001", "reconcile-terraform-apply"),
        ("done", "maintenance-done"),
    ]
    assert items[0]["params"]["mode"] == "correct" and items[1]["account"] == "dev"
