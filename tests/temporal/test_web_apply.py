"""The plan page's "approve and apply" button with `run.engine: temporal` in the config: its job is
`opsbook apply PLAN --yes --on temporal`, so the plan is applied by the apply workflow on the workers (as
"run now" follows run.engine), not in the web app's host."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.cli.sandbox_proc import Sandbox
from tests.temporal.test_apply_on_temporal import describe
from tests.temporal.test_run_on_temporal import with_temporal
from tests.temporal.workers import WorkerProc

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def test_approve_and_apply_runs_on_temporal_when_the_engine_says_so(
    temporal_address: str, temporal_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fastapi", reason="the web app needs the 'web' extra")
    from fastapi.testclient import TestClient

    from opsbook.core.config import load_config
    from opsbook.store.db import open_store
    from opsbook.temporal.apply_io import workflow_id
    from opsbook.web.app import create_app
    from tests.web.conftest import TOKEN, sign_in

    sb = temporal_sandbox
    config = with_temporal(sb.config, temporal_address, tmp_path / "opsbook.yaml")
    doc = yaml.safe_load(config.read_text(encoding="utf-8"))
    config.write_text(yaml.safe_dump(doc | {"run": {**doc.get("run", {}), "engine": "temporal"}}), "utf-8")
    ns, name = "velero", "velero"
    was = sb.deployment(ns, name)["spec"]["replicas"]
    # `opsbook plan` records the plan: pending, so its page has the button
    _, raw = sb.plan("web.json", "scale-deployment", "--cluster", "my-cluster", "--deployment",
                     f"{ns}/{name}", "--replicas", str(was + 1))  # fmt: skip
    plan_hash = raw["plan_hash"]
    monkeypatch.setenv("KUBECONFIG", str(sb.kubeconfig))  # the job's `opsbook apply` starter
    worker = WorkerProc(config, tmp_path, env={"KUBECONFIG": str(sb.kubeconfig)})
    cfg = load_config(config)
    store = open_store(cfg.storage.url)
    try:
        worker.wait_for("worker ready")
        with TestClient(create_app(cfg, store, token=TOKEN)) as c:
            csrf = sign_in(c, "alice")
            r = c.post(f"/plans/{plan_hash}/approve", data={"csrf": csrf}, follow_redirects=False)
            assert r.status_code == 303, r.text
            job = c.app.state.web.jobs.recent()[0]  # type: ignore[attr-defined]
            assert job.argv[-2:] == ("--on", "temporal"), job.argv
            assert job.done.wait(120), "the apply job did not finish"
            assert job.exit_code == 0, job.error
    finally:
        store.close()
        worker.stop()
    assert describe(temporal_address, workflow_id(plan_hash))[0] == "COMPLETED"  # the workflow applied it
    assert worker.said("activity done: apply_plan")
    assert sb.journal(plan_hash)["001"] == "done"
    assert sb.deployment(ns, name)["spec"]["replicas"] == was + 1
    sb.kubectl("scale", f"deployment/{name}", "-n", ns, f"--replicas={was}")
