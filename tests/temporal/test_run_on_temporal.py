"""`opsbook run daily --on temporal` with two workers, one killed mid-run: the run completes, each target is
recorded once, and the findings equal a local run's over the same sandbox and store (PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from tests.cli.helpers import OPSBOOK, opsbook
from tests.cli.sandbox_proc import Sandbox
from tests.temporal.workers import WorkerProc

CHECKS = ("--check", "ec2.unattached_volumes")  # a check whose failures carry proposals, beside daily's


def with_temporal(config: Path, address: str, out: Path, storage: str | None = None) -> Path:
    """A copy of the sandbox's config at `out` with a `temporal:` section (a task queue of the test's own,
    heartbeats every 2 s) and, if given, another store."""
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    doc["temporal"] = {
        "address": address,
        "task_queue": f"test-{uuid.uuid4().hex[:8]}",
        "heartbeat_seconds": 2,
    }
    if storage:
        doc["storage"] = {"url": storage}
    out.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


def in_flight(workers: list[WorkerProc], timeout: float = 90) -> tuple[WorkerProc, str]:
    """A worker and a target it has started and not finished (by its stderr), as soon as there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for w in workers:
            started = {
                x.split("run_target ", 1)[1].split(" ", 1)[0] for x in w.said("activity start: run_target")
            }
            done = {
                x.split("run_target ", 1)[1].split(" ", 1)[0] for x in w.said("activity done: run_target")
            }
            if busy := sorted(started - done):
                return w, busy[0]
        time.sleep(0.02)
    raise AssertionError(f"no worker started a target: {[w.lines[-5:] for w in workers]}")


def finding_set(report: dict[str, Any]) -> set[tuple[str, ...]]:
    return {
        (f["check_id"], json.dumps(f["target"], sort_keys=True), json.dumps(f.get("resource"), sort_keys=True),
         f["status"], f["message"], json.dumps(f.get("proposal"), sort_keys=True))
        for f in report["findings"]
    }  # fmt: skip


def test_run_survives_a_killed_worker(
    temporal_address: str, temporal_sandbox: Sandbox, postgres_url: str, tmp_path: Path
) -> None:
    config = with_temporal(temporal_sandbox.config, temporal_address, tmp_path / "opsbook.yaml", postgres_url)
    workers = [WorkerProc(config, tmp_path), WorkerProc(config, tmp_path)]
    try:
        for w in workers:
            w.wait_for("worker ready")
        out = tmp_path / "temporal.json"
        run = subprocess.Popen([*OPSBOOK, "--config", str(config), "run", "daily", *CHECKS, "--on", "temporal",
                                "-f", "json", "-o", str(out)], cwd=tmp_path, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        victim, key = in_flight(workers)
        victim.kill()  # mid-activity: `key` had started on it and not finished
        survivor = next(w for w in workers if w is not victim)
        stdout, stderr = run.communicate(timeout=240)
        assert run.returncode in (0, 1), stderr
        retried = [x for x in survivor.said(f"activity done: run_target {key} ") if "attempt 1," not in x]
        assert retried, f"{key} was not retried on the surviving worker: {survivor.lines[-20:]}"
    finally:
        for w in workers:
            w.stop()
    local = opsbook("--config", str(config), "run", "daily", *CHECKS, "-f", "json", "-o", str(tmp_path / "local.json"),
                    cwd=tmp_path, timeout=180)  # fmt: skip
    assert local.returncode == run.returncode, local.stderr
    on_temporal = json.loads(out.read_text(encoding="utf-8"))
    here = json.loads((tmp_path / "local.json").read_text(encoding="utf-8"))
    assert finding_set(on_temporal) == finding_set(here)  # proposals included
    assert any(f.get("proposal") for f in here["findings"])
    assert len(on_temporal["findings"]) == len(here["findings"]) > 50
    assert on_temporal["status"] == "complete"

    from opsbook.store import runs
    from opsbook.store.db import open_store

    store = open_store(postgres_url)
    try:
        stored = runs.get_run(store, run_id=on_temporal["run_id"])
    finally:
        store.close()
    assert stored["status"] == "complete"
    recorded = [r["target"] for r in stored["target_results"]]
    assert sorted(recorded) == sorted(set(recorded))  # the killed target recorded once, not twice
    assert set(recorded) == {t["key"] for t in here["targets"]}
    assert len(stored["findings"]) == len(here["findings"])


def test_unreachable_server_is_exit_3_and_a_bad_address_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "opsbook.yaml"
    config.write_text(
        yaml.safe_dump({"storage": {"url": f"sqlite:///{tmp_path}/o.db"},
                        "accounts": [{"name": "dev", "id": "111111111111"}],
                        "temporal": {"address": f"127.0.0.1:{port}", "connect_timeout": 3}}),
        encoding="utf-8",
    )  # fmt: skip
    started = time.monotonic()
    worker = opsbook("--config", str(config), "worker", cwd=tmp_path, timeout=60)
    assert worker.returncode == 3, worker.stderr
    assert f"127.0.0.1:{port}" in worker.stderr and len(worker.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 40
    started = time.monotonic()
    run = opsbook("--config", str(config), "run", "--check", "ec2.unattached_volumes", "--on", "temporal",
                  cwd=tmp_path, timeout=60)  # fmt: skip
    assert run.returncode == 3, run.stdout + run.stderr
    assert f"Temporal server 127.0.0.1:{port}" in run.stderr and time.monotonic() - started < 40
    bad = opsbook("worker", "--temporal", "nohost", cwd=tmp_path)
    assert bad.returncode == 2 and "--temporal 'nohost': expected HOST:PORT" in bad.stderr
    local_flags = opsbook("run", "daily", "--on", "local", "--temporal", "127.0.0.1:1", cwd=tmp_path)
    assert local_flags.returncode == 2 and "go with --on temporal" in local_flags.stderr


def test_the_workflow_bounds_targets_per_account_and_in_all(temporal_address: str) -> None:
    """12 targets (3 accounts x 4 regions), per_account 2, width 5, each held 0.3 s by a stand-in activity:
    never more than 2 of one account or 5 in all at once, the bound reached, every target summarised."""
    import sys

    from tests.temporal import bound_probe as probe

    out = subprocess.run([sys.executable, "-m", "tests.temporal.bound_probe", temporal_address],
                         capture_output=True, text=True, timeout=120, check=False,
                         cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    assert doc["status"] == "complete" and doc["begun"] == 12
    assert set(doc["peak_per_account"]) == {"a0", "a1", "a2"}
    assert max(doc["peak_per_account"].values()) == probe.PER_ACCOUNT  # reached, never passed
    assert doc["peak_total"] <= probe.WIDTH
    assert len(doc["summarised"]) == len(set(doc["summarised"])) == 12
    assert len(doc["api_calls"]) == 12  # every target's counts merged for finish_run
