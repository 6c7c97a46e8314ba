"""`opsbook run --check drift.*` end to end: a subprocess against the session sandbox's opsbook.yaml, the
JSON report naming prod's drift (state -> live, who) and its unmanaged resources; both checks are part of
`opsbook run weekly --day friday`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opsbook.cli.run_cmd import resolve_scopes
from opsbook.core.config import Config
from opsbook.engine.selection import load_builtin, select
from tests.cli.helpers import opsbook


def test_friday_runs_both_drift_checks(sandbox: Any) -> None:
    load_builtin()
    cfg = Config.model_validate(sandbox.config())
    friday = {s.id for s in select(resolve_scopes(cfg, "weekly", day="friday", part=None, on_date=None))}
    assert {"drift.state_vs_live", "drift.unmanaged"} <= friday


def test_run_check_reports_prod_drift_as_json(sandbox: Any, tmp_path: Path) -> None:
    config = sandbox.write_config(tmp_path / "opsbook.yaml", f"sqlite:///{tmp_path}/db.sqlite")
    checks = ["--check", "drift.state_vs_live", "--check", "drift.unmanaged"]
    proc = opsbook("--config", str(config), "run", *checks, "--account", "prod", "-f", "json", "--fail-on", "medium",
                   cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # failing findings at/above medium, nothing unreadable
    report = json.loads(proc.stdout)
    failed = [f for f in report["findings"] if f["status"] == "fail"]
    nodegroup = next(f for f in failed if f["details"].get("address") == "aws_eks_node_group.application")
    state, live = nodegroup["details"]["attributes"]["desired_size"]
    assert state == live + 1 and nodegroup["details"]["changed_by"] == "jane.doe"
    assert "desired_size: " in nodegroup["message"] and "last changed by jane.doe" in nodegroup["message"]
    kinds = {f["details"].get("kind") for f in failed if f["check_id"] == "drift.unmanaged"}
    assert kinds == {"unmanaged"}  # prod's tagged resources are all in state
    assert {f["target"]["account"] for f in report["findings"]} == {"prod"}
