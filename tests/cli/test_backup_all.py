"""`opsbook plan backup all` through the command line (in process, the session's sandbox): dev's part of the
estate without Velero, planned to a file, applied (the snapshot is available and tagged with the plan, the
state copies have their manifest: read back through boto3) and rolled back; refusals are one line, exit 2.
Also: the Terraform state procedures offer only the target options they honour."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.cli.main import main
from opsbook.sandbox.estate import DATABASE
from tests.cli.test_scale_rds import config_file
from tests.procedures.backup_all_helpers import quick_and_clean, snapshots


@pytest.fixture()
def estate(sandbox: Any) -> Iterator[dict[str, Any]]:
    yield from quick_and_clean(sandbox)


def test_plan_backup_all_apply_and_rollback(
    sandbox: Any, estate: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    config, plan_file = str(config_file(sandbox, tmp_path)), tmp_path / "all.json"
    args = ["plan", "backup", "all", "--account", "dev", "--skip", "velero", "--poll-interval", "0.1"]
    assert main(["--config", config, *args, "-o", str(plan_file)]) == 0
    out = capsys.readouterr().out
    assert "create-db-snapshot" in out and "copy-state-objects" in out
    plan = json.loads(plan_file.read_text())
    assert plan["procedure"] == "backup-all" and plan["accounts"] == ["dev"]
    assert [i["kind"] for i in plan["items"]] == ["rds-snapshot", "s3-backup-bucket", "tfstate-backup"]
    snapshot, copy = plan["items"][0]["params"]["snapshot"], plan["items"][2]["params"]

    assert main(["--config", config, "apply", str(plan_file), "--yes", "-f", "json"]) == 0
    assert [o["result"] for o in json.loads(capsys.readouterr().out)["outcomes"]] == ["done"] * 3
    snap = snapshots(estate["dev"]("rds"))[snapshot]
    assert snap["Status"] == "available" and snap["DBInstanceIdentifier"] == DATABASE
    assert {t["Key"]: t["Value"] for t in snap["TagList"]}["opsbook:plan"] == plan["plan_hash"]
    s3 = estate["dev"]("s3")
    manifest = json.loads(
        s3.get_object(Bucket=copy["bucket"], Key=copy["prefix"] + "manifest.json")["Body"].read()
    )
    assert manifest["plan_hash"] == plan["plan_hash"] and manifest["objects"]

    assert main(["--config", config, "apply", str(plan_file), "--rollback", "--yes", "-f", "json"]) == 0
    assert [o["result"] for o in json.loads(capsys.readouterr().out)["outcomes"]] == ["undone"] * 3
    assert snapshot not in snapshots(estate["dev"]("rds"))
    assert copy["bucket"] not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["backup", "all", "--skip", "ebs"], "--skip"),
        (["backup", "all", "--skip", "rds,velero,tfstate"], "--skip leaves nothing to back up"),
        (["backup", "all", "--account", "nope"], "--account nope"),
        (["backup", "all", "--skip", "velero", "--cluster", "my-cluster"], "--skip velero"),
        (["backup", "tfstate", "--account", "dev", "--cluster", "my-cluster"], "--cluster"),
        (
            [
                "restore",
                "tfstate",
                "--account",
                "dev",
                "--region",
                "us-east-1",
                "--key",
                "k",
                "--version-id",
                "v",
            ],
            "--region",
        ),  # fmt: skip
        (
            ["backup", "velero", "--cluster", "my-cluster", "--namespaces", "default", "--account", "dev"],
            "--account",
        ),  # fmt: skip
    ],
)
def test_refused_in_one_line(sandbox: Any, tmp_path: Path, capsys: Any, args: list[str], words: str) -> None:
    assert (
        main(["--config", str(config_file(sandbox, tmp_path)), "plan", *args, "-o", str(tmp_path / "p.json")])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "p.json").exists()


def test_backup_tfstate_honours_region(sandbox: Any, tmp_path: Path, capsys: Any) -> None:
    config = str(config_file(sandbox, tmp_path))
    assert (
        main(["--config", config, "plan", "backup", "tfstate", "--account", "dev", "--region", "us-east-1"])
        == 0
    )
    assert "copy-state-objects" in capsys.readouterr().out
    assert (
        main(["--config", config, "plan", "backup", "tfstate", "--account", "dev", "--region", "eu-west-1"])
        == 2
    )
    assert "keeps no Terraform state in eu-west-1" in capsys.readouterr().err
