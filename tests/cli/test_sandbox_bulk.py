"""`opsbook sandbox up --accounts/--regions/--scale` (the benchmark's estate) starts, and opsbook reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import opsbook, sandbox_up

# The benchmark's own estate: a large case, run by `make bench` (and `make test-slow`), not `make test`.
pytestmark = pytest.mark.slow


def test_scaled_estate_starts_and_is_checked(tmp_path: Path) -> None:
    cfg = tmp_path / "bulk.yaml"
    args = ["--accounts", "4", "--regions", "2", "--scale", "0.01"]
    with sandbox_up(tmp_path, cfg, *args):
        proc = opsbook(
            "--config", str(cfg), "run", "--check", "ec2.unattached_volumes", "-f", "json", cwd=tmp_path
        )
        assert proc.returncode in (0, 1), proc.stderr
        report = json.loads(proc.stdout)
        assert len(report["targets"]) == 8  # 4 accounts (one beyond the guide's three) x 2 regions
        assert not [t for t in report["targets"] if t["error"]]
        assert [f for f in report["findings"] if f["status"] == "fail"], (
            "the scaled estate has unattached volumes"
        )
