"""The benchmark harness (bench/harness.py) on the session sandbox (the guide's small estate): it runs,
and opsbook's findings agree with the plain-boto3 floor's (and c7n's, when bench/.venv-c7n exists).
Speed is not asserted here; `make bench` measures it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_harness_smoke_findings_agree(sandbox, tmp_path):
    cfg = tmp_path / "sandbox.yaml"
    cfg.write_text(yaml.safe_dump(sandbox.config()), encoding="utf-8")
    results = tmp_path / "results"
    cmd = [sys.executable, "-m", "bench.harness", "--config", str(cfg), "--rounds", "1", "--no-full"]
    cmd += ["--results", str(results)]
    if not (ROOT / "bench" / ".venv-c7n" / ".installed").exists():
        cmd.append("--no-c7n")  # never install c7n from make test
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (result_file,) = results.glob("*.json")
    result = json.loads(result_file.read_text())
    assert result["disagreements"] == []
    tools = result["tools"]
    assert {"opsbook", "floor"} <= set(tools)
    assert tools["opsbook"]["findings"]["ec2.unattached_volumes"] >= 1
    assert tools["opsbook"]["api_requests"] > 0
    assert "| opsbook |" in (results / (result_file.stem + ".md")).read_text()
