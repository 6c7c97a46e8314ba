"""`opsbook plan autoscale` end to end on the fake cluster (the guide's `kubectl autoscale deployment ...`):
refusals at plan time, create and change an HPA, the sandbox's HPA controller scaling the deployment on
its pod metrics, re-run as a no-op, and --rollback; every effect is read back from the cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opsbook.cli.main import main
from opsbook.sandbox.k8s.controllers.podmetrics import LOAD

NS = "production"
MERGE = "application/merge-patch+json"


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def plan(config: Path, out: Path, deployment: str, *bounds: str) -> dict[str, Any]:
    assert cli(config, "plan", "autoscale", "--cluster", "my-cluster", "--deployment", deployment, *bounds,
               "-o", str(out), "-f", "json") == 0  # fmt: skip
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def apply(config: Path, out: Path, capsys: Any, *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    assert cli(config, "apply", str(out), "--yes", "-f", "json", *extra) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def web_deployment(replicas: int, load: str) -> dict[str, Any]:
    """A deployment without an HPA: pods request 100m CPU and share `load` (the sandbox's metrics model)."""
    labels = {"app": "web"}
    container = {"name": "app", "image": "mycompany/web:1.0", "resources": {"requests": {"cpu": "100m"}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS, "annotations": {LOAD: load}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}}  # fmt: skip


def test_plan_refuses_what_could_never_work(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    base = ("plan", "autoscale", "--cluster", "my-cluster", "--deployment")
    # the guide's payments HPA: its containers have no CPU request
    assert cli(config, *base, "production/payments", "--min", "3", "--max", "10", "--cpu-percent", "70") == 2
    err = capsys.readouterr().err
    assert (
        "production/payments: container app has no CPU request" in err and len(err.strip().splitlines()) == 1
    )
    assert cli(config, *base, "production/myapp", "--min", "5", "--max", "3", "--cpu-percent", "70") == 2
    assert "--min 5 is above --max 3" in capsys.readouterr().err
    assert cli(config, *base, "production/myapp", "--min", "0", "--max", "3", "--cpu-percent", "70") == 2
    assert "--min: Input should be greater than or equal to 1" in capsys.readouterr().err
    assert cli(config, *base, "production/nope", "--min", "1", "--max", "3", "--cpu-percent", "70") == 2
    assert "deployment production/nope not found" in capsys.readouterr().err
    second = server.store.get("hpa", "myapp", NS) | {"metadata": {"name": "myapp-2", "namespace": NS}}
    server.store.create({**second, "status": {}})
    assert cli(config, *base, "production/myapp", "--min", "1", "--max", "3", "--cpu-percent", "70") == 2
    assert "has 2 HPAs (myapp, myapp-2)" in capsys.readouterr().err
    assert not list((tmp_path).glob("*.json"))  # nothing written


def test_create_scales_on_metrics_rerun_is_a_no_op_and_rollback_deletes(
    kube_cli, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    store = server.store
    store.create(web_deployment(2, "250m"))  # 2 pods at 125m of 100m requested
    out = tmp_path / "autoscale.json"
    doc = plan(config, out, "production/web", "--min", "1", "--max", "8", "--cpu-percent", "50")
    (item,) = doc["items"]
    assert (item["kind"], item["action"], item["params"]["from"]) == ("k8s-hpa-autoscale", "create-hpa", None)
    assert item["wait"]["condition"] == "hpa-active" and "k8s.hpa_metrics_unavailable" in item["gate"]

    done = apply(config, out, capsys)
    assert [o["result"] for o in done["outcomes"]] == ["done"] and done["counts"]["gate-red"] == 0
    spec = store.get("hpa", "web", NS)["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"], spec["scaleTargetRef"]["name"]) == (1, 8, "web")
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 50
    # 250m of work at 50 % of a 100m request: ceil(250 / 50) = 5 pods, each at 50 %
    assert store.get("deployments.apps", "web", NS)["spec"]["replicas"] == 5
    status = store.get("hpa", "web", NS)["status"]
    assert status["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 50

    again = apply(config, out, capsys)
    assert [o["result"] for o in again["outcomes"]] == ["already-done"]
    writes = server.requests.count("POST", f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers")
    assert writes == 1

    back = apply(config, out, capsys, "--rollback")
    assert back["counts"]["undone"] == 1 and not [
        h for h in store.list("hpa", NS) if h["metadata"]["name"] == "web"
    ]


def test_change_shows_current_to_proposed_and_rollback_restores(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    store = server.store
    before = store.get("hpa", "myapp", NS)["spec"]
    out = tmp_path / "autoscale.json"
    (item,) = plan(config, out, "production/myapp", "--min", "2", "--max", "6", "--cpu-percent", "50")[
        "items"
    ]
    assert item["action"] == "update-hpa"
    assert item["reason"].startswith("HPA myapp: 3-20 replicas, CPU 70% -> 2-6 replicas, CPU 50%")

    apply(config, out, capsys)
    spec = store.get("hpa", "myapp", NS)["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 6)
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 50
    # myapp's 480m at 50 % of 250m: ceil(480 / 125) = 4 pods
    assert store.get("deployments.apps", "myapp", NS)["spec"]["replicas"] == 4

    back = apply(config, out, capsys, "--rollback")
    assert back["counts"]["undone"] == 1
    assert store.get("hpa", "myapp", NS)["spec"] == before
    server.controllers.reconcile()
    assert store.get("deployments.apps", "myapp", NS)["spec"]["replicas"] == 3  # 64 % of 70: three again


def test_an_hpa_edited_since_the_plan_is_skipped(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    out = tmp_path / "autoscale.json"
    plan(config, out, "production/myapp", "--min", "2", "--max", "6", "--cpu-percent", "50")
    server.store.patch("hpa", "myapp", {"spec": {"maxReplicas": 30}}, MERGE, NS)
    capsys.readouterr()
    rc = cli(config, "apply", str(out), "--yes", "-f", "json")
    result = json.loads(capsys.readouterr().out)
    assert [o["result"] for o in result["outcomes"]] == ["skipped"], result
    assert "changed since the plan" in result["outcomes"][0]["reason"] and rc == 0, rc
    assert server.store.get("hpa", "myapp", NS)["spec"]["maxReplicas"] == 30  # left as it was found


def test_rollback_leaves_an_hpa_someone_else_recreated(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    store = server.store
    store.create(web_deployment(1, "50m"))
    out = tmp_path / "autoscale.json"
    plan(config, out, "production/web", "--min", "1", "--max", "3", "--cpu-percent", "80")
    apply(config, out, capsys)
    mine = store.get("hpa", "web", NS)
    store.delete("hpa", "web", NS)  # replaced by hand: not this plan's HPA any more
    store.create({**mine, "metadata": {"name": "web", "namespace": NS}, "status": {}})
    capsys.readouterr()
    assert cli(config, "apply", str(out), "--rollback", "--yes", "-f", "json") == 3
    back = json.loads(capsys.readouterr().out)
    assert back["counts"]["failed"] == 1 and "not created by this plan" in json.dumps(back["outcomes"])
    assert store.get("hpa", "web", NS)["spec"]["maxReplicas"] == 3  # left alone
