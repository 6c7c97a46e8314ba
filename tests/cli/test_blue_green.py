"""`opsbook plan blue-green` end to end on the fake cluster (the guide's `kubectl apply -f
manifests/my-app-v2.yaml`, then `kubectl patch service my-app -p '{"spec":{"selector":{"version":"v2"}}}'`):
the switch moves the Service's endpoints to exactly the v2 pods and `--rollback` puts them back; a failing
smoke test switches back by itself; refused when v2 is not fully available or would not be selected. Every
effect is read back from the cluster (the sandbox's endpoints controller follows selectors)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

from opsbook.cli.main import main
from tests.cli.helpers import apply_json

MANIFEST = Path(__file__).resolve().parents[1] / "sandbox" / "k8s" / "manifests" / "my-app-v2.yaml"

NS = "production"
V2_LABELS = {"app": "my-app", "version": "v2"}


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def my_app_v2(image: str | None = None) -> dict[str, Any]:
    """The guide's manifests/my-app-v2.yaml (the copy the guide's kubectl test applies): my-app's `app`
    label plus version=v2, two replicas."""
    doc: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    doc["metadata"]["namespace"] = NS
    if image:
        doc["spec"]["template"]["spec"]["containers"][0]["image"] = image
    return doc


def apply_v2(server: Any) -> None:
    server.store.create(my_app_v2())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = server.store.get("deployments.apps", "my-app-v2", NS).get("status") or {}
        if status.get("availableReplicas") == status.get("updatedReplicas") == 2:
            return
        time.sleep(0.1)
    raise AssertionError("my-app-v2 did not become available")


def endpoint_ips(server: Any) -> set[str]:
    subsets = server.store.get("endpoints", "my-app", NS).get("subsets") or []
    return {a["ip"] for s in subsets for a in s.get("addresses") or []}


def pod_ips(server: Any, **labels: str) -> set[str]:
    pods = server.store.list("pods", NS)
    return {p["status"]["podIP"] for p in pods if labels.items() <= p["metadata"]["labels"].items()}


def plan(config: Path, out: Path, *extra: str) -> dict[str, Any]:
    assert cli(config, "plan", "blue-green", "--service", f"{NS}/my-app", "--to-selector", "version=v2",
               "--deployment", f"{NS}/my-app-v2", "--cluster", "my-cluster", "--poll-interval", "0.2", *extra,
               "-o", str(out), "-f", "json") == 0  # fmt: skip
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def test_switch_moves_endpoints_to_v2_and_rollback_puts_them_back(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    apply_v2(server)
    v1, v2 = pod_ips(server, app="my-app") - pod_ips(server, version="v2"), pod_ips(server, version="v2")
    assert len(v1) == 4 and len(v2) == 2
    before = endpoint_ips(server)
    assert before == v1 | v2  # app=my-app already selects v2's pods: the plan warns about it
    out = tmp_path / "switch.json"
    doc = plan(config, out)
    (item,) = doc["items"]
    assert item["params"]["selector"] == V2_LABELS and item["params"]["from"] == {"app": "my-app"}
    assert doc["on_failure"] == "rollback" and "already selects 2 of my-app-v2's pods" in doc["warnings"][0]

    rc, done = apply_json(config, out, capsys)
    assert rc == 0 and [o["result"] for o in done["outcomes"]] == ["done"], done["outcomes"]
    assert (
        server.store.get("services", "my-app", NS)["spec"]["selector"] == V2_LABELS
    )  # merged, as kubectl patch
    assert endpoint_ips(server) == v2  # exactly the v2 pods

    rc, back = apply_json(config, out, capsys, "--rollback")
    assert rc == 0 and [o["result"] for o in back["outcomes"]] == ["undone"], back["outcomes"]
    assert server.store.get("services", "my-app", NS)["spec"]["selector"] == {"app": "my-app"}
    assert endpoint_ips(server) == before  # the rollback waited for the endpoints to return


def test_a_failing_smoke_test_switches_back_by_itself(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    apply_v2(server)
    before = endpoint_ips(server)
    out = tmp_path / "switch.json"
    plan(config, out, "--smoke-test", "false")
    rc, done = apply_json(config, out, capsys)
    results = [(o["item_id"], o["result"]) for o in done["outcomes"]]
    assert rc == 3 and done["rolled_back"] and results == [
        ("001", "done"), ("smoke-test:001", "failed"), ("001", "undone")]  # fmt: skip
    assert "selects app=my-app again" in done["outcomes"][2]["reason"]
    assert server.store.get("services", "my-app", NS)["spec"]["selector"] == {"app": "my-app"}
    assert endpoint_ips(server) == before


def test_refused_unless_v2_is_available_and_selected(kube_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    server, config = kube_cli
    base = ("plan", "blue-green", "--service", f"{NS}/my-app", "--cluster", "my-cluster")
    server.store.create(my_app_v2(image="mycompany/my-app:3.0.0-broken"))  # never pulls: never available
    time.sleep(0.5)
    assert cli(config, *base, "--to-selector", "version=v2", "--deployment", f"{NS}/my-app-v2") == 2
    err = capsys.readouterr().err
    assert (
        "deployment production/my-app-v2 is not fully available (" in err
        and len(err.strip().splitlines()) == 1
    )
    # a selector v2's pods do not carry
    assert cli(config, *base, "--to-selector", "version=v3", "--deployment", f"{NS}/myapp") == 2
    assert "does not select deployment myapp's pods" in capsys.readouterr().err
    assert cli(config, *base, "--to-selector", "app=my-app", "--deployment", f"{NS}/my-app") == 2
    assert "already selects app=my-app" in capsys.readouterr().err
    assert cli(config, *base, "--to-selector", "version", "--deployment", f"{NS}/my-app") == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert cli(config, *base, "--to-selector", "version=v2", "--deployment", "default/legacy-app") == 2
    assert "another namespace" in capsys.readouterr().err
    bad = ("plan", "blue-green", "--service", "a/b/c", "--to-selector", "version=v2")
    assert cli(config, *bad, "--deployment", f"{NS}/my-app", "--cluster", "my-cluster") == 2
    assert "--service 'a/b/c': expected NAME or NAMESPACE/NAME" in capsys.readouterr().err
    assert server.store.get("services", "my-app", NS)["spec"]["selector"] == {"app": "my-app"}
    assert not list(tmp_path.glob("*.json"))
