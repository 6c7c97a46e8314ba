"""kill -9 an `opsbook apply` of scale-deployment while its step waits for the rollout, and during its act;
apply again resumes, and the scale PATCH reached the sandbox's Kubernetes API exactly once (counted by the
fake API's own request log, `GET /_sandbox/requests`).

The wait is made to last by cordoning every node first: the new pods stay Pending until the test
uncordons them after the kill. A rollout to a bad image is killed during its automatic rollback (right
after the undo was sent): apply again finishes the rollback without sending the undo twice. Everything runs
in subprocesses against `opsbook sandbox up` of its own.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.sandbox_proc import Sandbox, running_sandbox, wait_for

pytest.importorskip("moto", reason="the sandbox needs the 'sandbox' extra")
pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path_factory.mktemp("kill")) as sb:
        yield sb


def scale_plan(sb: Sandbox, deployment: str, replicas: int, name: str) -> tuple[Path, dict[str, Any]]:
    return sb.plan(name, "scale-deployment", "--cluster", "my-cluster", "--deployment", deployment,
                   "--replicas", str(replicas))  # fmt: skip


def outcomes(out: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert out.returncode == 0, out.stdout + out.stderr
    return {o["item_id"]: o["result"] for o in json.loads(out.stdout)["outcomes"]}


def test_kill_during_the_wait_resumes_it_and_scales_once(sandbox: Sandbox) -> None:
    ns, name = "velero", "velero"  # no HPA: an HPA raised to the new minimum would scale it first
    scale = f"/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale"
    want = sandbox.deployment(ns, name)["spec"]["replicas"] + 1
    plan_file, plan = scale_plan(sandbox, f"{ns}/{name}", want, "wait.json")
    assert [i["kind"] for i in plan["items"]] == ["k8s-deployment-scale"]
    sandbox.nodes("cordon")  # the new pod stays Pending: the rollout cannot finish
    apply = sandbox.apply_in_background(plan_file)
    try:

        def patched() -> bool:
            assert apply.poll() is None, apply.communicate()
            return sandbox.requests("PATCH", scale) == 1

        wait_for("the scale PATCH", patched)
        wait_for(
            "the journal to say waiting", lambda: sandbox.journal(plan["plan_hash"]).get("001") == "waiting"
        )
        time.sleep(1)  # a poll or two of the wait
        assert apply.poll() is None, "apply finished although no node had room"
    finally:
        apply.send_signal(signal.SIGKILL)
        apply.wait(timeout=30)
    assert apply.returncode == -signal.SIGKILL
    sandbox.nodes("uncordon")

    again = sandbox.opsbook("apply", str(plan_file), "--yes", "-f", "json")
    assert outcomes(again) == {"001": "resumed"}
    assert sandbox.journal(plan["plan_hash"])["001"] == "done"
    status = sandbox.deployment(ns, name)["status"]
    assert status["readyReplicas"] == status["availableReplicas"] == want
    assert sandbox.requests("PATCH", scale) == 1  # the scale was sent exactly once


def test_kill_right_after_the_act_resumes_the_wait_without_acting_again(sandbox: Sandbox) -> None:
    ns, name = "kube-system", "coredns"
    scale = f"/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale"
    want = sandbox.deployment(ns, name)["spec"]["replicas"] + 1
    plan_file, plan = scale_plan(sandbox, f"{ns}/{name}", want, "act.json")
    assert [i["kind"] for i in plan["items"]] == ["k8s-deployment-scale"]
    sandbox.nodes("cordon")
    crashed = sandbox.opsbook("apply", str(plan_file), "--yes", env={"OPSBOOK_TEST_CRASH_AFTER_ACTIONS": "1"})
    assert crashed.returncode == 137, crashed.stdout + crashed.stderr
    assert sandbox.journal(plan["plan_hash"])["001"] == "started"  # killed before it journaled the act
    assert sandbox.requests("PATCH", scale) == 1

    again = sandbox.apply_in_background(plan_file, json_output=True)
    # still cordoned: the resumed apply must wait for the rollout, not call the step done
    wait_for("the resumed apply to wait", lambda: sandbox.journal(plan["plan_hash"])["001"] == "waiting")
    assert again.poll() is None, again.communicate()
    sandbox.nodes("uncordon")
    stdout, stderr = again.communicate(timeout=180)
    assert outcomes(subprocess.CompletedProcess(again.args, again.returncode, stdout, stderr)) == {
        "001": "resumed"
    }
    status = sandbox.deployment(ns, name)["status"]
    assert status["readyReplicas"] == status["availableReplicas"] == want  # it waited for the rollout
    assert sandbox.requests("PATCH", scale) == 1


def test_kill_during_the_automatic_rollback_of_a_rollout_finishes_it_without_undoing_twice(
    sandbox: Sandbox,
) -> None:
    ns, name = "default", "rollout-demo"
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/{name}"
    labels = {"app": name}
    manifest = sandbox.root / "rollout-demo.json"
    manifest.write_text(json.dumps({"apiVersion": "apps/v1", "kind": "Deployment",
                                    "metadata": {"name": name, "namespace": ns},
                                    "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                                             "template": {"metadata": {"labels": labels},
                                                          "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}),
                        encoding="utf-8")  # fmt: skip
    sandbox.kubectl("create", "-f", str(manifest))
    sandbox.kubectl("rollout", "status", f"deployment/{name}", "-n", ns, "--timeout=60s")
    plan_file = sandbox.root / "rollout.json"
    out = sandbox.opsbook("plan", "rollout", f"{ns}/{name}", "--image", "nginx=nginx:1.25-bad", "--cluster",
                          "my-cluster", "--poll-interval", "0.2", "-o", str(plan_file), "-f", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    # act 1 sets the image; the rollout passes its progress deadline; act 2 is the automatic undo: killed there
    crashed = sandbox.opsbook("apply", str(plan_file), "--yes", env={"OPSBOOK_TEST_CRASH_AFTER_ACTIONS": "2"})
    assert crashed.returncode == 137, crashed.stdout + crashed.stderr
    journal = sandbox.journal(plan["plan_hash"])
    assert journal["001"] == "failed" and journal["_auto-rollback"] == "rolling-back", journal
    assert sandbox.requests("PATCH", path) == 2  # the image, then the undo

    again = sandbox.opsbook("apply", str(plan_file), "--yes", "-f", "json")
    summary = json.loads(again.stdout)
    assert again.returncode == 3 and summary["rolled_back"] is True, again.stdout + again.stderr
    assert [(o["item_id"], o["result"]) for o in summary["outcomes"]] == [("001", "undone")]
    assert sandbox.requests("PATCH", path) == 2  # the undo found its template in place: not sent again
    dep = sandbox.deployment(ns, name)
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert dep["status"]["updatedReplicas"] == dep["status"]["availableReplicas"] == 2  # it waited
    assert sandbox.journal(plan["plan_hash"])["_auto-rollback"] == "done"
    sandbox.kubectl("delete", "deployment", name, "-n", ns)
