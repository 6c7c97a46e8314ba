"""`opsbook apply PLAN --on temporal` of a scale-deployment plan whose step asks for its own approval: the
workflow waits for the step's approval (the dashboard's button, which runs `opsbook approve`), the step acts
and its wait for the rollout (held by cordoned nodes) becomes Temporal timers with no activity running in
between; the worker that acted is killed there, the other worker checks the wait and finishes the step from
the journal, and the scale PATCH reached the sandbox's Kubernetes API exactly once. A wait past its
deadline fails the step with a local apply's message and journal state."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.sandbox_proc import Sandbox
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


def sealed_plan(sb: Sandbox, file: str, ns: str, name: str, replicas: int, **change: Any) -> Any:
    """`opsbook plan scale-deployment ...`, its step changed (`approval`, `wait` fields), sealed again."""
    from opsbook.procedures import plan as plans

    plan_file, raw = sb.plan(file, "scale-deployment", "--cluster", "my-cluster", "--deployment",
                             f"{ns}/{name}", "--replicas", str(replicas))  # fmt: skip
    plan = plans.Plan.model_validate(raw)
    wait = change.pop("wait", {})
    items = [
        i.model_copy(update={**change, "wait": i.wait.model_copy(update=wait) if i.wait else None})
        for i in plan.items
    ]
    sealed = plans.seal(plan.model_copy(update={"items": items}))
    plan_file.write_text(json.dumps(plans.to_json(sealed)), encoding="utf-8")
    return plan_file, sealed


def temporal_cli(address: str, *args: str, as_json: bool = True) -> Any:
    """The `temporal` CLI's JSON answer (no SDK client in the test process: temporalio's threads can abort an
    interpreter at exit, and a running event loop left by another test breaks asyncio.run)."""
    from opsbook.temporal.devserver import binary

    cli = binary()
    assert cli is not None
    out = ("-o", "json") if as_json else ()
    done = subprocess.run([str(cli), *args, "--address", address, *out], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    return json.loads(done.stdout) if as_json else done.stdout


def describe(address: str, workflow: str) -> tuple[str, int]:
    """The workflow's status and how many activities it has pending (scheduled or running)."""
    d = temporal_cli(address, "workflow", "describe", "--workflow-id", workflow)
    status = d.get("workflowExecutionInfo", {}).get("status", "?").removeprefix("WORKFLOW_EXECUTION_STATUS_")
    return status, len(d.get("pendingActivities", []))


def _texts(node: Any) -> Iterator[str]:
    """Every string in a history event, payloads' base64 `data` decoded."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "data" and isinstance(value, str):
                yield base64.b64decode(value).decode("utf-8", "replace")
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)
    elif isinstance(node, str):
        yield node


def events_holding(address: str, workflow: str, text: str) -> list[str]:
    """The attribute kinds (e.g. workflow_execution_started_event_attributes) of the workflow's history
    events whose content holds `text`."""
    history = temporal_cli(address, "workflow", "show", "--workflow-id", workflow)
    kinds = []
    for event in history["events"]:
        if any(text in t for t in _texts(event)):
            [kind] = [k for k in event if k.endswith("EventAttributes")]
            kinds.append(re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower())
    return kinds


def idle_while_waiting(address: str, sb: Sandbox, plan_hash: str, seconds: float) -> list[tuple[str, int]]:
    """Samples (status, pending activities) of the apply workflow taken while its step is journaled
    `waiting`, for `seconds`: a timer holds no activity, so most samples show none pending."""
    from opsbook.temporal.apply_io import workflow_id

    samples: list[tuple[str, int]] = []
    started, end = time.monotonic(), None  # the step may take a while to reach its wait on a loaded machine
    while time.monotonic() < (end or started + 90):
        if sb.journal(plan_hash).get("001") == "waiting":  # (the workflow has started by then)
            state = describe(address, workflow_id(plan_hash))
            if sb.journal(plan_hash).get("001") == "waiting":
                samples.append(state)
                end = end or time.monotonic() + seconds
        time.sleep(0.3)
    return samples


def test_apply_waits_for_approval_and_survives_a_killed_worker(
    temporal_address: str, temporal_sandbox: Sandbox, tmp_path: Path
) -> None:
    sb = temporal_sandbox
    config = with_temporal(sb.config, temporal_address, tmp_path / "opsbook.yaml")
    ns, name = "velero", "velero"  # no HPA
    scale = f"/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale"
    want = sb.deployment(ns, name)["spec"]["replicas"] + 1
    plan_file, sealed = sealed_plan(sb, "scale.json", ns, name, want, approval=True, wait={"interval_s": 1})
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
        apply.wait_for("step 001 waits for deployment-rolled-out")  # the pass acted and returned the wait
        holder = next(w for w in workers if w.said("activity done: apply_plan") and any(
            "pass 2 (attempt 1," in x for x in w.said("start: apply_plan")))  # fmt: skip
        samples = idle_while_waiting(temporal_address, sb, sealed.plan_hash, 4)
        assert samples and all(status == "RUNNING" for status, _ in samples)
        assert any(pending == 0 for _, pending in samples), samples  # a timer, no activity held
        holder.kill()  # between checks: nothing of the step runs on it
        survivor = next(w for w in workers if w is not holder)
        checks = len(survivor.said("activity done: check_wait"))
        deadline = time.monotonic() + 60
        while len(survivor.said("activity done: check_wait")) < checks + 2:  # the survivor checks on
            assert time.monotonic() < deadline, survivor.lines[-20:]
            time.sleep(0.2)
        assert sb.journal(sealed.plan_hash)["001"] == "waiting"
        sb.nodes("uncordon")
        code, out = apply.finish()
        assert code == 0, out + "\n".join(apply.lines[-20:])
        assert survivor.said("activity done: apply_plan"), survivor.lines[-20:]  # it finished the step
    finally:
        sb.nodes("uncordon")
        for w in workers:
            w.stop()
    summary = json.loads(out)
    results = [(o["item_id"], o["result"]) for o in summary["outcomes"]]
    assert ("001", "refused") in results  # pass 1: awaiting its approval
    assert results[-1] == ("001", "done")  # the pass after the checks finished it; it did not act again
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
    assert results_001.count("done") == 1 and "resumed" not in results_001  # finished once
    assert sb.requests("PATCH", scale) == 1  # the scale was sent exactly once
    status = sb.deployment(ns, name)["status"]
    assert status["readyReplicas"] == status["availableReplicas"] == want
    sb.kubectl("scale", f"deployment/{name}", "-n", ns, f"--replicas={want - 1}")


def test_a_wait_past_its_deadline_fails_as_a_local_apply(
    temporal_address: str, temporal_sandbox: Sandbox, tmp_path: Path
) -> None:
    sb = temporal_sandbox
    config = with_temporal(sb.config, temporal_address, tmp_path / "opsbook.yaml")
    ns, name = "velero", "velero"
    was = sb.deployment(ns, name)["spec"]["replicas"]
    env = {"KUBECONFIG": str(sb.kubeconfig)}
    worker = WorkerProc(config, tmp_path, env=env)
    failed: dict[str, tuple[int, dict[str, Any]]] = {}
    try:
        worker.wait_for("worker ready")
        sb.nodes("cordon")  # the rollout never completes: the wait runs into its deadline
        for where, timeout in (("temporal", 6), ("local", 3)):
            plan_file, sealed = sealed_plan(sb, f"stuck-{where}.json", ns, name, was + 1,
                                            wait={"timeout_s": timeout, "interval_s": 2})  # fmt: skip
            apply = Followed(config, tmp_path, "apply", str(plan_file), "--yes", "-f", "json",
                             *(("--on", "temporal") if where == "temporal" else ()), env=env)  # fmt: skip
            if where == "temporal":
                samples = idle_while_waiting(temporal_address, sb, sealed.plan_hash, 4)
                assert samples and any(pending == 0 for _, pending in samples), samples  # timers
            code, out = apply.finish()
            failed[where] = code, json.loads(out)
            if where == "temporal":
                sealed_temporal = sealed
            assert sb.journal(sealed.plan_hash)["001"] == "failed"
            sb.kubectl("scale", f"deployment/{name}", "-n", ns, f"--replicas={was}")
        assert worker.said("activity done: check_wait")
        from opsbook.temporal.apply_io import workflow_id

        # the config (its store's path here) is in the workflow's input only, not in each pass or check
        held = events_holding(temporal_address, workflow_id(sealed_temporal.plan_hash), str(sb.db))
        assert held == ["workflow_execution_started_event_attributes"], held
    finally:
        sb.nodes("uncordon")
        worker.stop()
    (code, on_temporal), (local_code, local) = failed["temporal"], failed["local"]
    assert code == local_code == 3
    last, local_last = on_temporal["outcomes"][-1], local["outcomes"][-1]
    assert (
        (last["item_id"], last["result"])
        == (local_last["item_id"], local_last["result"])
        == ("001", "failed")
    )
    assert last["reason"].startswith("timed out waiting for deployment-rolled-out (6 s): ")
    assert last["reason"].replace("(6 s)", "(3 s)") == local_last["reason"], (last, local_last)


def test_a_long_wait_continues_as_a_new_run_and_loses_nothing(temporal_address: str) -> None:
    """The apply workflow with stand-in activities and a tiny history limit: the wait's timers and checks
    continue as new runs of the workflow (same id), which carry the passes done, and it finishes once."""
    import subprocess
    import sys

    from tests.temporal import apply_probe as probe

    out = subprocess.run([sys.executable, "-m", "tests.temporal.apply_probe", temporal_address],
                         capture_output=True, text=True, timeout=120, check=False,
                         cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    assert doc["checks"] == probe.CHECKS and doc["runs"] >= 2  # the checks ran in more than one run
    assert doc["passes"] == [1, 2] and doc["carried"] == [0, 1]  # pass 2's run carried pass 1
    assert doc["result"] == ["a1", "a2"]  # the final result holds every pass, once
    assert doc["locks"] == ["release"]  # the lock kept across the new runs, released at the end
