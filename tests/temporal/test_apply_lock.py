"""The plan's lock belongs to a Temporal apply for the workflow's whole life: while it awaits a step's
approval (no activity running), a local `opsbook apply` and a second `--on temporal` of the same plan are
refused naming the workflow, and nothing changes in the sandbox; once the workflow ends (cancelled here)
the lock is free."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.sandbox_proc import Sandbox
from tests.temporal.test_apply_on_temporal import describe, sealed_plan, temporal_cli
from tests.temporal.test_run_on_temporal import with_temporal
from tests.temporal.workers import Followed, WorkerProc

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def holder(sb: Sandbox, plan_hash: str) -> str | None:
    """The host column of the plan's lock row (`temporal:<workflow id>` for a workflow), or None."""
    from opsbook.store import locks
    from opsbook.store.db import open_store

    store = open_store(f"sqlite:///{sb.db}")
    try:
        held = locks.current(store, plan_hash=plan_hash)
    finally:
        store.close()
    return held.host if held else None


def cancel(address: str, workflow: str) -> None:
    temporal_cli(address, "workflow", "cancel", "--workflow-id", workflow, as_json=False)


def test_a_temporal_apply_holds_the_plan_lock_until_it_ends(
    temporal_address: str, temporal_sandbox: Sandbox, tmp_path: Path
) -> None:
    from opsbook.temporal.apply_io import workflow_id

    sb = temporal_sandbox
    config = with_temporal(sb.config, temporal_address, tmp_path / "opsbook.yaml")
    ns, name = "velero", "velero"
    scale = f"/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale"
    was = sb.deployment(ns, name)["spec"]["replicas"]
    patches = sb.requests("PATCH", scale)
    plan_file, sealed = sealed_plan(sb, "locked.json", ns, name, was + 1, approval=True)
    wid = workflow_id(sealed.plan_hash)
    env = {"KUBECONFIG": str(sb.kubeconfig)}
    worker = WorkerProc(config, tmp_path, env=env)
    try:
        worker.wait_for("worker ready")
        apply = Followed(config, tmp_path, "apply", str(plan_file), "--yes", "--on", "temporal", env=env)
        apply.wait_for("step 001 waits for its own approval")
        assert holder(sb, sealed.plan_hash) == f"temporal:{wid}"  # between passes: the workflow's
        assert describe(temporal_address, wid) == ("RUNNING", 0)  # no activity holds it meanwhile
        journal = sb.journal(sealed.plan_hash)
        assert "001" not in journal
        for where in ((), ("--on", "temporal")):
            other = Followed(config, tmp_path, "apply", str(plan_file), "--yes", *where, env=env)
            code, _ = other.finish(timeout=120)
            errors = [line for line in other.lines if line.strip()]
            assert code == 2, other.lines
            assert len(errors) == 1 and wid in errors[0], errors  # one line naming the workflow
        assert sb.journal(sealed.plan_hash) == journal  # nothing journaled, nothing acted
        assert sb.requests("PATCH", scale) == patches
        assert sb.deployment(ns, name)["spec"]["replicas"] == was
        cancel(temporal_address, wid)
        code, _ = apply.finish(timeout=120)
        assert code != 0
        assert describe(temporal_address, wid)[0] == "CANCELED"
        assert worker.said("plan_lock sha256:") and "released" in worker.said("plan_lock sha256:")[-1]
    finally:
        worker.stop()
    assert holder(sb, sealed.plan_hash) is None  # released at the workflow's end
    free = sb.opsbook("apply", str(plan_file), "--yes", "--only", "no-such-step")
    assert "is being applied" not in free.stderr, free.stderr  # the lock no longer refuses


def test_apply_on_temporal_is_refused_while_a_local_apply_holds_the_lock(
    temporal_address: str, temporal_sandbox: Sandbox, tmp_path: Path
) -> None:
    import socket

    from opsbook.procedures.lock import PlanLock
    from opsbook.store.db import open_store
    from opsbook.temporal.apply_io import workflow_id

    sb = temporal_sandbox
    config = with_temporal(sb.config, temporal_address, tmp_path / "opsbook.yaml")
    was = sb.deployment("velero", "velero")["spec"]["replicas"]
    plan_file, sealed = sealed_plan(sb, "held.json", "velero", "velero", was + 1)
    store = open_store(f"sqlite:///{sb.db}")
    # this live process holds the lock as a local apply does
    local = PlanLock(store, plan_hash=sealed.plan_hash, apply_id="localtest", who="bob",
                     host=socket.gethostname())  # fmt: skip
    local.acquire()
    try:
        other = Followed(config, tmp_path, "apply", str(plan_file), "--yes", "--on", "temporal")
        code, _ = other.finish(timeout=60)
    finally:
        local.release()
        store.close()
    errors = [line for line in other.lines if line.strip()]
    assert code == 2 and len(errors) == 1 and "bob@" in errors[0], other.lines  # names the local holder
    with pytest.raises(subprocess.CalledProcessError) as asked:  # refused before any workflow started
        describe(temporal_address, workflow_id(sealed.plan_hash))
    assert "not found" in str(asked.value.stderr).lower(), asked.value.stderr
