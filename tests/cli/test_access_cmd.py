"""The Access Review through the real command line, against the session's sandbox: `opsbook review access`
(json and markdown), `opsbook plan remove-inactive-users -o`, `opsbook apply --yes` (carol is gone: read
back through boto3), apply again (a no-op), and a bad option as one line with exit 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.cli.main import main
from tests.procedures.iam_helpers import exists, restoring_carol


@pytest.fixture()
def iam(sandbox: Any) -> Iterator[Any]:
    yield from restoring_carol(sandbox)


def test_review_plan_apply_and_refusal(sandbox: Any, iam: Any, tmp_path: Path, capsys: Any) -> None:
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")), encoding="utf-8")
    cli = ["--config", str(config)]

    assert main([*cli, "review", "access", "--account", "prod", "-f", "json"]) == 0
    review = json.loads(capsys.readouterr().out)
    assert {(u["user"], u["status"]) for u in review["users"]} == {
        ("bob", "active"), ("carol", "inactive"), ("break-glass", "kept")}  # fmt: skip
    assert any(b["status"] == "wide" for b in review["bindings"])
    md = tmp_path / "access.md"
    assert main([*cli, "review", "access", "--account", "prod", "-f", "markdown", "-o", str(md)]) == 0
    assert "| prod | carol | inactive |" in md.read_text(encoding="utf-8")

    plan_file = tmp_path / "users.json"
    assert main([*cli, "plan", "remove-inactive-users", "--inactive-days", "90", "--account", "prod",
                 "-o", str(plan_file)]) == 0  # fmt: skip
    shown = capsys.readouterr().out
    assert "carol" in shown and "delete-user" in shown and "bob" not in shown
    assert exists(iam, "carol")  # planning removed nothing

    assert main([*cli, "apply", str(plan_file), "--yes", "-f", "json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert {o["result"] for o in done["outcomes"]} == {"done"}, done["outcomes"]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="carol")
    assert main([*cli, "apply", str(plan_file), "--yes", "-f", "json"]) == 0
    assert {o["result"] for o in json.loads(capsys.readouterr().out)["outcomes"]} == {"already-done"}

    assert main([*cli, "plan", "remove-inactive-users", "--inactive-days", "0", "-o", str(plan_file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--inactive-days" in err[0]
