"""`opsbook apply PLAN --on temporal` with a PostgreSQL store (as the run test): the workers' passes and
wait checks journal and audit there, the workflow's plan lock is a row there while it runs and is gone
when it ends, and the step acted once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.sandbox_proc import Sandbox
from tests.temporal.test_apply_on_temporal import sealed_plan
from tests.temporal.test_run_on_temporal import with_temporal
from tests.temporal.workers import Followed, WorkerProc

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def test_apply_on_temporal_with_a_postgres_store(
    temporal_address: str, temporal_sandbox: Sandbox, postgres_url: str, tmp_path: Path
) -> None:
    from opsbook.store import browse, locks
    from opsbook.store import plans as store_plans
    from opsbook.store.db import open_store
    from opsbook.temporal.apply_io import workflow_id

    sb = temporal_sandbox
    config = with_temporal(sb.config, temporal_address, tmp_path / "opsbook.yaml", postgres_url)
    ns, name = "velero", "velero"
    scale = f"/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale"
    was = sb.deployment(ns, name)["spec"]["replicas"]
    patches = sb.requests("PATCH", scale)
    plan_file, sealed = sealed_plan(sb, "pg.json", ns, name, was + 1, wait={"interval_s": 1})
    env = {"KUBECONFIG": str(sb.kubeconfig)}
    worker = WorkerProc(config, tmp_path, env=env)
    store = open_store(postgres_url)
    held: list[str] = []
    try:
        worker.wait_for("worker ready")
        sb.nodes("cordon")  # the rollout waits (timers) until uncordoned: the lock row is seen meanwhile
        apply = Followed(config, tmp_path, "apply", str(plan_file), "--yes", "--on", "temporal", "-f", "json",
                         env=env)  # fmt: skip
        apply.wait_for("step 001 waits for deployment-rolled-out")
        row = locks.current(store, plan_hash=sealed.plan_hash)
        held.append(row.host if row else "")
        sb.nodes("uncordon")
        code, out = apply.finish(timeout=120)
        assert code == 0, apply.lines[-20:]
    finally:
        sb.nodes("uncordon")
        worker.stop()
    try:
        assert held == [f"temporal:{workflow_id(sealed.plan_hash)}"]  # the workflow's lock, in PostgreSQL
        assert locks.current(store, plan_hash=sealed.plan_hash) is None  # released at its end
        assert store_plans.journal(store, plan_hash=sealed.plan_hash)["001"].state == "done"
        trail = browse.audit_trail(store, plan_hash=sealed.plan_hash)
        assert [a["result"] for a in trail if a.get("item_id") == "001"].count("done") == 1
    finally:
        store.close()
    assert json.loads(out)["outcomes"][-1]["result"] == "done"
    assert "001" not in sb.journal(sealed.plan_hash)  # nothing written to the sandbox's SQLite store
    assert sb.requests("PATCH", scale) == patches + 1  # acted once
    sb.kubectl("scale", f"deployment/{name}", "-n", ns, f"--replicas={was}")
