"""`opsbook apply PLAN --on temporal` of a scale-deployment plan whose step asks for its own approval: the
workflow waits for the step's approval (the dashboard's button, which runs `opsbook approve`), the step acts and waits for the rollout (held by cordoned nodes), the
worker holding it is killed there, the other worker resumes the wait from the journal, and the scale PATCH
reached the sandbox's Kubernetes API exactly once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.sandbox_proc import Sandbox, wait_for
from tests.temporal.test_run_on_temporal import with_temporal
from tests.temporal.workers import Followed, WorkerProc

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def approve_in_the_web_app(config: Path, plan_hash: str, step: str) -> None:
    """The plan page's "approve step" button, signed in as alice: a job running `opsbook approve`."""
    pytest.importorskip("fastapi", reason="the web app needs the 'web' extra")
    from fastapi.testclient import TestClient

    from opsbook.core.config import load_config
    from opsbook.store import browse
    from opsbook.store.db import open_store
    from opsbook.web.app import create_app
    from tests.web.conftest import TOKEN, sign_in

    cfg = load_config(config)
    store = open_store(cfg.storage.url)
    try:
        with TestClient(create_app(cfg, store, token=TOKEN)) as c:
            csrf = sign_in(c, "alice")
            assert f"/plans/{plan_hash}/steps/{step}/approve" in c.get(f"/plans/{plan_hash}").text
            r = c.post(
                f"/plans/{plan_hash}/steps/{step}/approve", data={"csrf": csrf}, follow_redirects=False
            )
            assert r.status_code == 303, r.text
            job = c.app.state.web.jobs.recent()[0]  # type: ignore[attr-defined]
            assert job.done.wait(60), "`opsbook approve` did not finish"
            assert job.exit_code == 0, job.error
        trail = browse.audit_trail(store, plan_hash=plan_hash)
        assert any(a["who"] == "alice" and a["action"] == "approve-step" for a in trail)
    finally:
        store.close()


def test_apply_waits_for_approval_and_survives_a_killed_worker(
    temporal_address: str, temporal_sandbox: Sandbox, tmp_path: Path
) -> None:
    from opsbook.procedures import plan as plans

    sb = temporal_sandbox
    config = with_temporal(sb.config, temporal_address, tmp_path / "opsbook.yaml")
    ns, name = "velero", "velero"  # no HPA
    scale = f"/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale"
    want = sb.deployment(ns, name)["spec"]["replicas"] + 1
    plan_file, raw = sb.plan("scale.json", "scale-deployment", "--cluster", "my-cluster", "--deployment",
                             f"{ns}/{name}", "--replicas", str(want))  # fmt: skip
    plan = plans.Plan.model_validate(raw)
    asks = plan.model_copy(update={"items": [i.model_copy(update={"approval": True}) for i in plan.items]})
    sealed = plans.seal(asks)
    plan_file.write_text(json.dumps(plans.to_json(sealed)), encoding="utf-8")
    env = {"KUBECONFIG": str(sb.kubeconfig)}
    workers = [WorkerProc(config, tmp_path, env=env), WorkerProc(config, tmp_path, env=env)]
    try:
        for w in workers:
            w.wait_for("worker ready")
        sb.nodes("cordon")  # the new pod stays Pending: the step's wait holds until uncordoned
        apply = Followed(config, tmp_path, "apply", str(plan_file), "--yes", "--on", "temporal", "-f",
                         "json", env=env)  # fmt: skip
        apply.wait_for("step 001 waits for its own approval")
        assert sb.requests("PATCH", scale) == 0  # nothing acted before the approval
        approve_in_the_web_app(config, sealed.plan_hash, "001")  # its button runs `opsbook approve`
        wait_for("the step to wait", lambda: sb.journal(sealed.plan_hash).get("001") == "waiting", 90)
        holder = next(
            w for w in workers if any("pass 2 (attempt 1," in x for x in w.said("start: apply_plan"))
        )
        holder.kill()
        sb.nodes("uncordon")
        code, out = apply.finish()
        assert code == 0, out + "\n".join(apply.lines[-20:])
        survivor = next(w for w in workers if w is not holder)
        assert survivor.said("activity done: apply_plan"), survivor.lines[-20:]
    finally:
        sb.nodes("uncordon")
        for w in workers:
            w.stop()
    summary = json.loads(out)
    results = [(o["item_id"], o["result"]) for o in summary["outcomes"]]
    assert ("001", "refused") in results  # pass 1: awaiting its approval
    assert results[-1] == ("001", "resumed")  # the retried pass resumed the wait; it did not act again
    assert sb.journal(sealed.plan_hash)["001"] == "done"
    from opsbook.store import browse
    from opsbook.store.db import open_store

    store = open_store(f"sqlite:///{sb.db}")
    try:
        trail = browse.audit_trail(store, plan_hash=sealed.plan_hash)
    finally:
        store.close()
    by_signal = [a for a in trail if "signal to the Temporal apply" in (a["reason"] or "")]
    assert by_signal and by_signal[0]["who"].startswith("alice@")  # who approved, as the signal said
    results_001 = [a["result"] for a in trail if a.get("item_id") == "001"]
    assert results_001.count("resumed") == 1 and "done" not in results_001  # finished once, by the survivor
    assert sb.requests("PATCH", scale) == 1  # the scale was sent exactly once
    status = sb.deployment(ns, name)["status"]
    assert status["readyReplicas"] == status["availableReplicas"] == want
    sb.kubectl("scale", f"deployment/{name}", "-n", ns, f"--replicas={want - 1}")
