"""Real kubectl 1.32 against the sandbox's controllers: scale, set image, rollout status/undo/restart/history.

Each write is read back through the API (the store), so the test fails when a write only changes a spec.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from opsbook.sandbox.k8s import FakeKubeServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]
Settle = Callable[[Callable[[], bool]], None]
NS = "production"


def _pods(server: FakeKubeServer, app: str) -> list[dict[str, Any]]:
    return server.store.list("pods", NS, f"app={app}")


def _ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def _deployment(server: FakeKubeServer, name: str) -> dict[str, Any]:
    return server.store.get("deployments.apps", name, NS)


def test_scale_creates_pods_and_status_follows(
    kubectl: Kubectl, kube_server: FakeKubeServer, settle: Settle
) -> None:
    kubectl("delete", "hpa", "myapp", "-n", NS)  # it would undo a manual scale (see test_hpa_scales_on_load)
    kubectl("scale", "deployment", "myapp", "-n", NS, "--replicas=5")
    assert len(_pods(kube_server, "myapp")) == 5  # the ReplicaSet controller made two pods at once
    settle(lambda: sum(_ready(p) for p in _pods(kube_server, "myapp")) == 5)
    settle(lambda: _deployment(kube_server, "myapp")["status"].get("availableReplicas") == 5)
    assert all(p["spec"].get("nodeName") for p in _pods(kube_server, "myapp"))
    listed = kubectl("get", "deployment", "myapp", "-n", NS).stdout
    assert listed.splitlines()[1].split()[1:4] == ["5/5", "5", "5"]
    kubectl("scale", "deployment", "myapp", "-n", NS, "--replicas=2")
    settle(lambda: len(_pods(kube_server, "myapp")) == 2)
    settle(lambda: _deployment(kube_server, "myapp")["status"].get("replicas") == 2)


def test_scale_beyond_room_leaves_pods_pending(
    kubectl: Kubectl, kube_server: FakeKubeServer, settle: Settle
) -> None:
    # each legacy-app pod asks for 1 CPU; the four schedulable nodes have room for only a few
    kubectl("set", "resources", "deployment/legacy-app", "-n", "default", "--requests=cpu=1")
    kubectl("rollout", "status", "deployment/legacy-app", "-n", "default", "--timeout=30s")
    kubectl("scale", "deployment", "legacy-app", "-n", "default", "--replicas=8")
    pods = kube_server.store.list("pods", "default", "app=legacy-app")
    pending = [p for p in pods if not p["spec"].get("nodeName")]
    assert len(pods) == 8 and pending
    scheduled = next(c for c in pending[0]["status"]["conditions"] if c["type"] == "PodScheduled")
    assert scheduled["reason"] == "Unschedulable" and "Insufficient cpu" in scheduled["message"]
    settle(lambda: _available(kube_server, "default", "legacy-app") == 8 - len(pending))
    described = kubectl("get", "pods", "-n", "default", "-l", "app=legacy-app").stdout
    assert described.count("Pending") == len(pending)


def _available(server: FakeKubeServer, ns: str, name: str) -> int:
    return int(server.store.get("deployments.apps", name, ns)["status"].get("availableReplicas", 0))


def test_set_image_rolls_out_and_undo_goes_back(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    before = _deployment(kube_server, "my-app")
    history = kubectl("rollout", "history", "deployment/my-app", "-n", NS).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "3"]
    kubectl("set", "image", "deployment/my-app", "app=mycompany/my-app:2.5.0", "-n", NS)
    status = kubectl("rollout", "status", "deployment/my-app", "-n", NS, "--timeout=60s").stdout
    assert 'deployment "my-app" successfully rolled out' in status
    after = _deployment(kube_server, "my-app")
    assert (
        after["metadata"]["generation"]
        == after["status"]["observedGeneration"]
        > before["metadata"]["generation"]
    )
    assert after["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"
    pods = _pods(kube_server, "my-app")
    assert len(pods) == 4 and {p["spec"]["containers"][0]["image"] for p in pods} == {
        "mycompany/my-app:2.5.0"
    }
    owners = {
        r["uid"]
        for rs in kube_server.store.list("replicasets.apps", NS)
        for r in rs["metadata"].get("ownerReferences", [])
    }
    assert after["metadata"]["uid"] in owners
    kubectl("rollout", "undo", "deployment/my-app", "-n", NS)
    kubectl("rollout", "status", "deployment/my-app", "-n", NS, "--timeout=60s")
    pods = _pods(kube_server, "my-app")
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"mycompany/my-app:2.4.0"} and len(
        pods
    ) == 4
    history = kubectl("rollout", "history", "deployment/my-app", "-n", NS).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "4", "5"]


def test_rollout_restart_makes_new_pods(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    old = {p["metadata"]["name"] for p in _pods(kube_server, "myapp")}
    kubectl("rollout", "restart", "deployment/myapp", "-n", NS)
    kubectl("rollout", "status", "deployment/myapp", "-n", NS, "--timeout=60s")
    new = _pods(kube_server, "myapp")
    assert len(new) == 3 and not old & {p["metadata"]["name"] for p in new} and all(map(_ready, new))
    assert len([rs for rs in kube_server.store.list("replicasets.apps", NS, "app=myapp")]) == 2


def test_bad_image_exceeds_progress_deadline(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    kubectl("set", "image", "deployment/myapp", "app=mycompany/myapp:2.0.0-broken", "-n", NS)
    failed = kubectl("rollout", "status", "deployment/myapp", "-n", NS, "--timeout=60s", check=False)
    assert failed.returncode != 0 and 'deployment "myapp" exceeded its progress deadline' in failed.stderr
    conditions = {c["type"]: c for c in _deployment(kube_server, "myapp")["status"]["conditions"]}
    assert conditions["Progressing"]["reason"] == "ProgressDeadlineExceeded"
    assert conditions["Available"]["status"] == "True"  # the old pods keep serving
    pods = kubectl("get", "pods", "-n", NS, "-l", "app=myapp").stdout
    assert "ImagePullBackOff" in pods


def test_seeded_failures_are_left_alone(kube_server: FakeKubeServer, settle: Settle) -> None:
    import time

    kinds = ("pods", "deployments.apps", "replicasets.apps", "nodes", "hpa", "pods.metrics.k8s.io")
    before = {k: kube_server.store.list(k) for k in kinds}
    assert kube_server.controllers is not None
    kube_server.controllers.reconcile()
    time.sleep(0.5)  # a few ticks
    after = {k: kube_server.store.list(k) for k in before}
    assert after == before


def test_watch_streams_changes_after_a_resource_version(kube_server: FakeKubeServer) -> None:
    import json

    start = kube_server.store.resource_version
    kube_server.store.patch(
        "deployments.apps", "myapp", {"spec": {"replicas": 4}}, "application/merge-patch+json", NS
    )
    query = {"watch": ["1"], "resourceVersion": [start], "timeoutSeconds": ["1"],
             "fieldSelector": ["metadata.name=myapp"]}  # fmt: skip
    code, _, body = kube_server.api.handle("GET", f"/apis/apps/v1/namespaces/{NS}/deployments", query,
                                           {"authorization": "Bearer sandbox-test-token"}, b"")  # fmt: skip
    assert code == 200 and not isinstance(body, bytes)
    events = [json.loads(line) for chunk in body for line in chunk.splitlines()]
    assert events and {e["type"] for e in events} == {"MODIFIED"}
    assert events[0]["object"]["spec"]["replicas"] == 4
    assert all(e["object"]["metadata"]["name"] == "myapp" for e in events)
    stale = kube_server.api.handle("GET", "/api/v1/pods", {"watch": ["1"], "resourceVersion": ["x"]},
                                   {"authorization": "Bearer sandbox-test-token"}, b"")  # fmt: skip
    assert stale[0] == 400
