"""`opsbook plan rollout` end to end on the fake cluster (the guide's `kubectl set image`, `rollout status` and
`rollout undo`): a good image ends at a new revision with every pod on it; a bad image fails on the progress
deadline and a failing smoke test fails its step, and both roll back automatically (image and revision
back, both revisions reported); refusals at plan time. Every effect is read back from the cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opsbook.cli.main import main
from tests.cli.helpers import apply_json

NS, NAME = "production", "my-app"  # the guide's deployment: one container, `app`, at 2.4.0 (revision 3)
BEFORE = "mycompany/my-app:2.4.0"


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def plan(config: Path, out: Path, *args: str) -> dict[str, Any]:
    assert cli(config, "plan", "rollout", f"{NS}/{NAME}", "--cluster", "my-cluster", "--poll-interval", "0.2",
               *args, "-o", str(out), "-f", "json") == 0  # fmt: skip
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def deployment(server: Any) -> dict[str, Any]:
    doc: dict[str, Any] = server.store.get("deployments.apps", NAME, NS)
    return doc


def revision(server: Any) -> int:
    return int(deployment(server)["metadata"]["annotations"]["deployment.kubernetes.io/revision"])


def pod_images(server: Any) -> list[str]:
    """The image of every pod of the deployment (label app=my-app), as the API lists them."""
    pods = [p for p in server.store.list("pods", NS) if p["metadata"]["labels"].get("app") == NAME]
    return sorted(c["image"] for p in pods for c in p["spec"]["containers"])


def test_a_good_image_ends_at_a_new_revision_with_every_pod_on_it(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    out = tmp_path / "rollout.json"
    doc = plan(config, out, "--image", "app=mycompany/my-app:2.5.0")
    (item,) = doc["items"]
    assert doc["on_failure"] == "rollback" and doc["ordered"] is True
    assert (item["kind"], item["params"]["from_revision"], item["params"]["from_replicaset"]) == (
        "k8s-set-image", "3", "my-app-7c9d8f6b5")  # fmt: skip
    assert item["wait"]["condition"] == "deployment-rolled-out" and "k8s.pod_not_running" in item["gate"]

    rc, done = apply_json(config, out, capsys)
    assert rc == 0 and [o["result"] for o in done["outcomes"]] == ["done"], done["outcomes"]
    assert revision(server) == 4 and deployment(server)["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "mycompany/my-app:2.5.0")  # fmt: skip
    status = deployment(server)["status"]
    assert status["updatedReplicas"] == status["availableReplicas"] == status["replicas"] == 4
    assert pod_images(server) == ["mycompany/my-app:2.5.0"] * 4  # every pod on the new revision

    rc, again = apply_json(config, out, capsys)
    assert rc == 0 and [o["result"] for o in again["outcomes"]] == ["already-done"]
    assert server.requests.count("PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/{NAME}") == 1


def test_a_bad_image_fails_on_its_deadline_and_rolls_back_automatically(
    kube_cli, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    out = tmp_path / "rollout.json"
    plan(config, out, "--image", "app=mycompany/my-app:2.5.0-bad")  # the sandbox never pulls a "bad" tag
    rc, done = apply_json(config, out, capsys)
    assert rc == 3 and done["rolled_back"] is True, done
    failed, undone = done["outcomes"]
    assert failed["result"] == "failed" and "exceeded its progress deadline" in failed["reason"]
    assert "deployment-rolled-out failed" in failed["reason"] and "revision 4" in failed["reason"]
    assert undone["result"] == "undone"
    # both revisions, with their images
    assert "from revision 4 (app=mycompany/my-app:2.5.0-bad)" in undone["reason"]
    assert f"back to revision 3's template (app={BEFORE})" in undone["reason"]
    assert (undone["details"]["from_revision"], undone["details"]["to_revision"]) == ("4", "3")
    # read back: the old template is running again (revived at a new revision), every pod on it
    assert deployment(server)["spec"]["template"]["spec"]["containers"][0]["image"] == BEFORE
    assert revision(server) == 5 and pod_images(server) == [BEFORE] * 4
    rs = server.store.get("replicasets.apps", "my-app-7c9d8f6b5", NS)
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "5"

    rc, again = apply_json(config, out, capsys)  # a failed, rolled-back plan: nothing is done again
    assert rc == 3 and [o["result"] for o in again["outcomes"]] == ["not-run"]
    assert "rolled the plan back automatically" in again["outcomes"][0]["reason"]
    assert server.requests.count("PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/{NAME}") == 2
    capsys.readouterr()
    assert cli(config, "audit", "list", "-f", "json") == 0  # audited like --rollback
    assert {"auto-rollback", "undone", "failed"} <= {r["result"] for r in json.loads(capsys.readouterr().out)}


def test_a_failing_smoke_test_rolls_the_rollout_back(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    script = tmp_path / "smoke-test.sh"
    script.write_text("#!/bin/sh\necho 'GET /healthz: 503'\nexit 1\n", encoding="utf-8")
    script.chmod(0o755)
    out = tmp_path / "rollout.json"
    doc = plan(config, out, "--image", "app=mycompany/my-app:2.5.0", "--smoke-test", str(script))
    assert [i["kind"] for i in doc["items"]] == ["k8s-set-image", "smoke-test"]
    assert doc["items"][1]["gate"] and not doc["items"][0]["gate"]  # the gate comes after the smoke test

    rc, done = apply_json(config, out, capsys)
    assert rc == 3 and done["rolled_back"] is True
    results = [(o["item_id"], o["result"]) for o in done["outcomes"]]
    assert results == [("001", "done"), ("smoke-test:001", "failed"), ("001", "undone")], results
    assert (
        "exited 1" in done["outcomes"][1]["reason"] and "GET /healthz: 503" in done["outcomes"][1]["reason"]
    )
    assert "from revision 4 (app=mycompany/my-app:2.5.0)" in done["outcomes"][2]["reason"]
    assert deployment(server)["spec"]["template"]["spec"]["containers"][0]["image"] == BEFORE
    assert revision(server) == 5 and pod_images(server) == [BEFORE] * 4


def test_plan_refuses_what_could_not_work(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    base = ("plan", "rollout", f"{NS}/{NAME}", "--cluster", "my-cluster", "--image")
    # the guide's own line: `kubectl set image deployment/my-app my-app=myapp:v2.0.0`
    assert cli(config, *base, "my-app=myapp:v2.0.0") == 2
    err = capsys.readouterr().err
    assert "deployment production/my-app has no container 'my-app' (it has: app)" in err
    assert len(err.strip().splitlines()) == 1
    assert cli(config, *base, f"app={BEFORE}") == 2
    assert f"already runs app={BEFORE}" in capsys.readouterr().err
    assert cli(config, *base, "app") == 2
    assert "expected CONTAINER=IMAGE:TAG" in capsys.readouterr().err
    assert cli(config, *base, "app=x:1", "--smoke-test", "./no-such-script.sh") == 2
    assert "--smoke-test: ./no-such-script.sh does not exist" in capsys.readouterr().err
    assert cli(config, "plan", "rollout", "a/b/c", "--cluster", "my-cluster", "--image", "app=x:1") == 2
    assert "DEPLOYMENT 'a/b/c': expected NAME or NAMESPACE/NAME" in capsys.readouterr().err  # the argument
    # the seeded worker's rollout failed (ProgressDeadlineExceeded): no healthy revision to return to
    assert (
        cli(config, "plan", "rollout", "production/worker", "--cluster", "my-cluster", "--image", "app=x:1")
        == 2
    )
    assert "is at a rollout that failed" in capsys.readouterr().err
    server.store.patch(
        "deployments.apps", NAME, {"spec": {"paused": True}}, "application/merge-patch+json", NS
    )
    assert cli(config, *base, "app=x:1") == 2
    assert "is paused" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.json"))
