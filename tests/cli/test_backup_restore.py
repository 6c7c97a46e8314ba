"""The backup and restore procedures through the command line (in process, the session's sandbox), in the
guide's shape `opsbook plan backup rds` (the same as `plan backup-rds`): plan -o, apply --yes (the snapshot
exists, available, tagged with the plan: read back through boto3), apply --rollback; refusals are one line
with exit 2: a restore over an existing instance, a state whose lock is held, a missing source."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.cli.main import main
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.aws.seeds.state import LOCK_TABLE
from opsbook.sandbox.estate import DATABASE, account
from tests.cli.test_scale_rds import config_file
from tests.procedures.rds_helpers import restoring_dev_rds

KEY = "eks/mycompany-dev-use1/terraform.tfstate"
LOCK = {"LockID": {"S": f"terraform-state-111111111111/{KEY}"}}


@pytest.fixture()
def dev_rds(sandbox: Any) -> Iterator[Any]:
    yield from restoring_dev_rds(sandbox)


def outcomes(out: str) -> list[str]:
    return [o["result"] for o in json.loads(out)["outcomes"]]


def test_backup_rds_in_the_guides_shape_plan_apply_and_rollback(
    sandbox: Any, dev_rds: Any, tmp_path: Path, capsys: Any
) -> None:
    config, plan_file = config_file(sandbox, tmp_path), tmp_path / "backup.json"
    assert (
        main(
            [
                "--config",
                str(config),
                "plan",
                "backup",
                "rds",
                "--db",
                DATABASE,
                "--account",
                "dev",
                "--poll-interval",
                "0.1",
                "-o",
                str(plan_file),
            ]
        )
        == 0
    )
    assert "create-db-snapshot" in capsys.readouterr().out
    plan = json.loads(plan_file.read_text())
    name = plan["items"][0]["params"]["snapshot"]
    assert plan["procedure"] == "backup-rds" and name.startswith(f"{DATABASE}-")

    assert main(["--config", str(config), "apply", str(plan_file), "--yes", "-f", "json"]) == 0
    assert outcomes(capsys.readouterr().out) == ["done"]
    snap = dev_rds.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]
    assert snap["Status"] == "available"
    assert {t["Key"]: t["Value"] for t in snap["TagList"]}["opsbook:plan"] == plan["plan_hash"]

    for args, words in (
        (
            ["restore", "rds", "--snapshot", name, "--as", DATABASE],
            "a restore always goes into a new identifier",
        ),
        (["restore", "rds", "--snapshot", "nope", "--as", "x1"], "no DB snapshot 'nope'"),
    ):
        assert main(["--config", str(config), "plan", *args, "--account", "dev"]) == 2
        err = capsys.readouterr().err.strip()
        assert words in err and len(err.splitlines()) == 1, err

    assert main(["--config", str(config), "apply", str(plan_file), "--rollback", "--yes", "-f", "json"]) == 0
    assert outcomes(capsys.readouterr().out) == ["undone"]
    assert name not in [s["DBSnapshotIdentifier"] for s in dev_rds.describe_db_snapshots()["DBSnapshots"]]


def test_restore_tfstate_while_terraform_holds_the_lock_exits_2(
    sandbox: Any, tmp_path: Path, capsys: Any
) -> None:
    config = config_file(sandbox, tmp_path)
    s3, ddb = (clients_for(sandbox.aws_url, account("dev"))(s) for s in ("s3", "dynamodb"))
    earlier = next(
        v
        for v in s3.list_object_versions(Bucket=LOCK["LockID"]["S"].split("/")[0], Prefix=KEY)["Versions"]
        if not v["IsLatest"]
    )
    ddb.put_item(
        TableName=LOCK_TABLE, Item={**LOCK, "Info": {"S": json.dumps({"ID": "9e", "Who": "bob@ci"})}}
    )
    try:
        args = [
            "plan",
            "restore",
            "tfstate",
            "--account",
            "dev",
            "--key",
            KEY,
            "--version-id",
            earlier["VersionId"],
        ]
        assert main(["--config", str(config), *args]) == 2
    finally:
        ddb.delete_item(TableName=LOCK_TABLE, Key=LOCK)
    err = capsys.readouterr().err.strip()
    assert "is locked by bob@ci" in err and "lock ID 9e" in err and len(err.splitlines()) == 1, err
    assert main(["--config", str(config), *args, "-f", "json"]) == 0  # free again: it plans
    assert json.loads(capsys.readouterr().out)["items"][0]["params"]["current_version"]
