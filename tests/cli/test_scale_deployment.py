"""The multi-step demonstration procedure end to end on the fake cluster: `opsbook plan scale-deployment`
(HPA bounds, then scale + wait for the rollout + health gate), `opsbook apply --dry-run`, apply, and
`--rollback`; every change is read back from the Kubernetes API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

from opsbook.cli.main import main

DEP = "/apis/apps/v1/namespaces/production/deployments/my-app"
HPA = "/apis/autoscaling/v2/namespaces/production/horizontalpodautoscalers/my-app"


def read(server: Any, path: str) -> dict[str, Any]:
    """GET `path` from the fake API over HTTPS, as any client would (its own CA, the test token)."""
    import ssl
    import urllib.request

    ctx = ssl.create_default_context(cadata=server.ca_pem.decode())
    req = urllib.request.Request(server.url + path, headers={"Authorization": "Bearer opsbook-test-token"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:  # noqa: S310 - https to 127.0.0.1
        doc: dict[str, Any] = json.loads(resp.read())
    return doc


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_plan_dry_run_apply_and_rollback(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    before = read(server, DEP)["spec"]["replicas"]
    hpa_before = read(server, HPA)["spec"]
    plan_file = tmp_path / "scale.json"
    assert cli(config, "plan", "scale-deployment", "--cluster", "my-cluster", "--deployment", "production/my-app",
               "--replicas", str(before + 2), "-o", str(plan_file), "-f", "json") == 0  # fmt: skip
    plan = json.loads(plan_file.read_text())
    assert plan["ordered"] is True
    assert [i["kind"] for i in plan["items"]] == ["k8s-hpa-bounds", "k8s-deployment-scale"]
    scale = plan["items"][1]
    assert scale["depends_on"] == ["001"] and scale["wait"]["condition"] == "deployment-rolled-out"
    assert scale["gate"] == ["k8s.deployment_unavailable", "k8s.pod_not_running"]

    assert cli(config, "apply", str(plan_file), "--dry-run", "-f", "json") == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["counts"]["would-act"] == 2 and read(server, DEP)["spec"]["replicas"] == before

    assert cli(config, "apply", str(plan_file), "--yes", "-f", "json") == 0
    done = json.loads(capsys.readouterr().out)
    # the HPA step is done; with its new minimum the HPA controller scales the deployment itself, so the
    # scale step finds its effect in place, still waits for the rollout, and the gate holds
    results = {o["item_id"]: o["result"] for o in done["outcomes"]}
    assert results["001"] == "done" and results["002"] in ("done", "skipped"), done["outcomes"]
    assert done["stopped_at"] is None and done["counts"]["failed"] == done["counts"]["gate-red"] == 0
    assert read(server, DEP)["spec"]["replicas"] == before + 2
    assert read(server, DEP)["status"].get("readyReplicas") == before + 2  # the wait saw the rollout through
    assert read(server, HPA)["spec"]["minReplicas"] == before + 2

    assert cli(config, "apply", str(plan_file), "--rollback", "--yes", "-f", "json") == 0
    back = json.loads(capsys.readouterr().out)
    assert back["counts"]["undone"] >= 1 and back["counts"]["failed"] == 0
    hpa_after = read(server, HPA)["spec"]
    assert (hpa_after["minReplicas"], hpa_after["maxReplicas"]) == (
        hpa_before["minReplicas"],
        hpa_before["maxReplicas"],
    )
    deadline = time.monotonic() + 15  # the HPA controller brings the deployment back within its old bounds
    while read(server, DEP)["spec"]["replicas"] != before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert read(server, DEP)["spec"]["replicas"] == before


def test_plan_needs_one_cluster_and_a_real_deployment(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _server, config = kube_cli
    assert cli(config, "plan", "scale-deployment", "--deployment", "my-app", "--replicas", "2") == 2
    assert "name one --cluster" in capsys.readouterr().err
    assert cli(config, "plan", "scale-deployment", "--cluster", "my-cluster", "--deployment", "production/nope",
               "--replicas", "2") == 2  # fmt: skip
    assert "deployment production/nope not found" in capsys.readouterr().err


def test_bad_names_a_zero_hpa_minimum_and_a_broken_cluster_exit_2_or_3(
    kube_cli, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    from opsbook.sandbox.faults import FaultProxy
    from opsbook.sandbox.k8s import write_kubeconfig

    _server, config = kube_cli
    assert cli(config, "plan", "scale-deployment", "--cluster", "my-cluster", "--deployment", "production/",
               "--replicas", "2") == 2  # fmt: skip
    assert "expected NAME or NAMESPACE/NAME" in capsys.readouterr().err
    assert cli(config, "plan", "scale-deployment", "--cluster", "my-cluster", "--deployment", "production/my-app",
               "--replicas", "0") == 2  # fmt: skip
    assert "minimum cannot be 0" in capsys.readouterr().err
    with FaultProxy(mode="http500") as proxy:
        kubeconfig = write_kubeconfig(tmp_path / "kc-broken", proxy.url, "token", "broken")
        doc = yaml.safe_load(config.read_text())
        doc["clusters"] = [{"name": "broken", "kubeconfig": str(kubeconfig), "context": "broken"}]
        broken = tmp_path / "broken.yaml"
        broken.write_text(yaml.safe_dump(doc), encoding="utf-8")
        rc = cli(
            broken, "plan", "scale-deployment", "--cluster", "broken", "--deployment", "x", "--replicas", "2"
        )
    err = capsys.readouterr().err
    assert rc == 3 and "cluster broken" in err and "500" in err and len(err.strip().splitlines()) == 1


def test_an_owning_hpa_is_warned_about_and_leave_scales_only(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    base = ("plan", "scale-deployment", "--cluster", "my-cluster", "--deployment", "production/my-app",
            "--replicas", "6", "-f", "json")  # fmt: skip
    widen = tmp_path / "widen.json"
    assert cli(config, *base, "-o", str(widen)) == 0
    (warning,) = json.loads(widen.read_text())["warnings"]
    assert "HPA production/my-app owns deployment my-app (2-4 replicas, CPU target 70%)" in warning
    assert "widens its bounds to 6-6" in warning
    assert ("opsbook plan autoscale --cluster my-cluster --deployment production/my-app --min 6 --max 6 "
            "--cpu-percent 70") in warning  # fmt: skip

    leave = tmp_path / "leave.json"
    assert cli(config, *base, "--hpa", "leave", "-o", str(leave)) == 0
    plan = json.loads(leave.read_text())
    assert [i["kind"] for i in plan["items"]] == ["k8s-deployment-scale"]
    assert "--hpa leave" in plan["warnings"][0] and "bring it back within 2-4" in plan["warnings"][0]
    capsys.readouterr()
    assert cli(config, "apply", str(leave), "--yes", "-f", "json") == 0
    assert json.loads(capsys.readouterr().out)["counts"]["failed"] == 0
    # as warned: the scale went through, and the HPA (above its CPU target, max 4) took it back to 4
    assert server.requests.count("PATCH", DEP + "/scale") == 1
    assert read(server, DEP)["spec"]["replicas"] == 4
    assert read(server, HPA)["spec"]["maxReplicas"] == 4
