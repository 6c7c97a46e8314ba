"""The RDS procedures through the real command line, against the session's sandbox: `opsbook plan
rds-read-replica -o`, `apply --yes` (the replica exists, replicates, names its source: read back through
boto3), apply again (a no-op), `apply --rollback` (the replica is gone); and `plan scale-rds` refusals as one
line with exit 2, the `--class` option included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.cli.main import main
from opsbook.sandbox.estate import DATABASE
from tests.procedures.rds_helpers import REPLICA, db, restoring_dev_rds


@pytest.fixture()
def dev_rds(sandbox: Any) -> Iterator[Any]:
    yield from restoring_dev_rds(sandbox)


def config_file(sandbox: Any, tmp_path: Path) -> Path:
    path = tmp_path / "opsbook.yaml"
    path.write_text(yaml.safe_dump(sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")), encoding="utf-8")
    return path


def test_read_replica_plan_apply_rerun_and_rollback(
    sandbox: Any, dev_rds: Any, tmp_path: Path, capsys: Any
) -> None:
    config, plan_file = config_file(sandbox, tmp_path), tmp_path / "replica.json"
    assert main(["--config", str(config), "plan", "rds-read-replica", "--source", DATABASE, "--name", REPLICA,
                 "--account", "dev", "--poll-interval", "0.1", "-o", str(plan_file)]) == 0  # fmt: skip
    shown = capsys.readouterr().out
    assert "create-db-instance-read-replica" in shown and "182.50 USD/month" in shown
    assert db(dev_rds, REPLICA) is None  # planning created nothing

    assert main(["--config", str(config), "apply", str(plan_file), "--yes", "-f", "json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert [o["result"] for o in done["outcomes"]] == ["done"], done["outcomes"]
    made = db(dev_rds, REPLICA)
    assert made is not None and made["ReadReplicaSourceDBInstanceIdentifier"] == DATABASE
    assert made["DBInstanceStatus"] == "available" and made["StatusInfos"][0]["Status"] == "replicating"

    assert main(["--config", str(config), "apply", str(plan_file), "--yes", "-f", "json"]) == 0
    assert [o["result"] for o in json.loads(capsys.readouterr().out)["outcomes"]] == ["already-done"]

    assert main(["--config", str(config), "apply", str(plan_file), "--rollback", "--yes", "-f", "json"]) == 0
    assert [o["result"] for o in json.loads(capsys.readouterr().out)["outcomes"]] == ["undone"]
    assert db(dev_rds, REPLICA) is None


def test_scale_rds_refusals_are_one_line_and_exit_2(sandbox: Any, tmp_path: Path, capsys: Any) -> None:
    config = config_file(sandbox, tmp_path)
    for args, words in (
        (["--db", DATABASE, "--class", "db.z1d.large", "--account", "dev"], "db.z1d.large is not offered"),
        (["--db", "nope", "--class", "db.r5.xlarge", "--account", "dev"], "no DB instance 'nope'"),
        (["--db", DATABASE, "--class", "large"], "--class 'large': expected"),
    ):
        assert main(["--config", str(config), "plan", "scale-rds", *args]) == 2
        err = capsys.readouterr().err.strip()
        assert words in err and len(err.splitlines()) == 1, err
