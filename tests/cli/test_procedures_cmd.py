"""The procedure seam end to end: `opsbook procedures list`, `opsbook plan NAME` (options made from the
procedure's parameters) and the one generic `opsbook apply`, against a sandbox of this module's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsbook.cli.main import main
from tests.cli.test_cleanup_cmd import Estate, by_item
from tests.cli.test_cleanup_cmd import estate as estate  # noqa: F401 - the module's own sandbox


def test_procedures_list_names_each_procedure_with_its_guide_section(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["procedures", "list", "-f", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    cleanup = rows["cleanup"]
    assert cleanup["section"] == "Cost Optimization / Implement Cost Savings"
    assert "ebs-volume" in cleanup["kinds"] and cleanup["parameters"] == ["kinds", "older_than_days"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["plan", "cleanup", "--kinds", "nope"], "--kinds: Input should be 'ebs'"),
        (["plan", "cleanup", "--older-than-days", "0"], "--older-than-days: Input should be greater than"),
        (["plan", "nosuch"], "No such command 'nosuch'"),
        (["plan", "rollout", "production/my-app"], "opsbook plan rollout: --image is required"),
        (
            ["plan", "blue-green", "--service", "my-app", "--to-selector", "v=2"],
            "blue-green: --deployment is required",
        ),
    ],
)
def test_bad_parameters_exit_2_before_any_target(
    args: list[str], needle: str, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "none.yaml"  # never read: parameters fail first
    assert main(["--config", str(config), *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_generic_plan_and_apply_release_the_planned_addresses(estate: Estate) -> None:  # noqa: F811
    planned = estate.run(
        "plan", "cleanup", "--kinds", "eip", "--account", "staging", "-o", "eip.json", "-f", "json"
    )
    assert planned.returncode == 0, planned.stderr
    plan = json.loads((estate.root / "eip.json").read_text(encoding="utf-8"))
    assert plan["procedure"] == "cleanup" and plan["parameters"]["kinds"] == ["eip"]
    assert plan["items"] and {i["kind"] for i in plan["items"]} == {"elastic-ip"}
    ids = {i["resource"]["id"] for i in plan["items"]}

    applied = estate.run("apply", "eip.json", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert set(by_item(applied).values()) == {"done"}
    left = {a.get("AllocationId") for a in estate.client("staging", "ec2").describe_addresses()["Addresses"]}
    assert not ids & left  # read back from the sandbox: every planned address is released

    alias = estate.run("cleanup", "apply", "eip.json", "--yes")  # the old command is the same apply
    assert alias.returncode == 0 and set(by_item(alias).values()) == {"already-done"}


def test_apply_refuses_a_plan_of_an_unknown_procedure(estate: Estate) -> None:  # noqa: F811
    doc = {"format": "opsbook.plan/v1", "procedure": "nosuch", "plan_hash": "sha256:0", "created_at":
           "2026-01-01T00:00:00Z", "expires_at": "2026-01-02T00:00:00Z", "created_by": "x@y", "items": []}  # fmt: skip
    (estate.root / "odd.json").write_text(json.dumps(doc), encoding="utf-8")
    out = estate.run("apply", "odd.json", "--yes")
    assert out.returncode == 2 and "unknown procedure 'nosuch'" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
