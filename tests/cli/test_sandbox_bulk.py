"""`opsbook sandbox up --accounts/--regions/--scale` (the benchmark's estate) starts, and opsbook reads it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.helpers import OPSBOOK, die_with_parent, opsbook

# The benchmark's own estate: a large case, run by `make bench` (and `make test-slow`), not `make test`.
pytestmark = pytest.mark.slow


def test_scaled_estate_starts_and_is_checked(tmp_path: Path) -> None:
    cfg = tmp_path / "bulk.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    args = ["sandbox", "up", "--accounts", "4", "--regions", "2", "--scale", "0.01", "--config-out", str(cfg)]
    up = subprocess.Popen(
        [*OPSBOOK, *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=die_with_parent,
    )
    try:
        deadline = time.monotonic() + 120
        while not cfg.exists():
            assert up.poll() is None, up.stderr.read() if up.stderr else ""
            assert time.monotonic() < deadline, "sandbox up did not write its config"
            time.sleep(0.2)
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
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=30)
