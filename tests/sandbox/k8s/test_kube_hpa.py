"""The sandbox's HPA controller scales on the pod metrics the sandbox serves (`kubectl top pods`), with the
real conditions; the seeded HPAs and metrics are a fixed point; `kubectl get hpa --watch` sees it move."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opsbook.sandbox.k8s import ClusterStore, FakeKubeServer, seed_cluster
from opsbook.sandbox.k8s.controllers import Controllers
from opsbook.sandbox.k8s.controllers.podmetrics import LOAD, pod_cpu_m

Settle = Callable[[Callable[[], bool]], None]
NS = "production"
MERGE = "application/merge-patch+json"


def conditions(hpa: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in hpa["status"]["conditions"]}


def usage(store: ClusterStore, app: str) -> list[int]:
    pods = {p["metadata"]["name"] for p in store.list("pods", NS, f"app={app}")}
    return [pod_cpu_m(m) for m in store.list("pods.metrics.k8s.io", NS) if m["metadata"]["name"] in pods]


def test_seeded_hpas_and_metrics_are_a_fixed_point() -> None:
    store = ClusterStore()
    seed_cluster(store)
    kinds = ("hpa", "pods.metrics.k8s.io", "deployments.apps", "pods")
    before = {k: store.list(k) for k in kinds}
    Controllers(store).reconcile()
    assert {k: store.list(k) for k in kinds} == before
    hpas = {h["metadata"]["name"]: h for h in before["hpa"]}
    assert conditions(hpas["myapp"])["ScalingLimited"][1] == "DesiredWithinRange"
    assert conditions(hpas["my-app"])["ScalingLimited"][1] == "TooManyReplicas"
    status, reason, message = conditions(hpas["payments"])["ScalingActive"]
    assert (status, reason) == ("False", "FailedGetResourceMetric")
    assert "missing request for cpu in container app of Pod payments-5f7b9c8d4-c7xkq" in message


def test_hpa_scales_on_load_and_metrics_follow_the_pods(kube_server: FakeKubeServer, settle: Settle) -> None:
    store = kube_server.store
    assert usage(store, "myapp") == [160, 160, 160]  # 64 % of the 250m request, target 70 %: stays at 3
    # twice the work: 960m over 3 pods is 128 % -> ceil(3 x 128 / 70) = 6 pods, at 64 % each
    store.patch("deployments.apps", "myapp", {"metadata": {"annotations": {LOAD: "960m"}}}, MERGE, NS)
    kube_server.controllers.reconcile()  # type: ignore[union-attr]
    assert store.get("deployments.apps", "myapp", NS)["spec"]["replicas"] == 6
    settle(lambda: usage(store, "myapp") == [160] * 6)
    settle(lambda: store.get("hpa", "myapp", NS)["status"]["currentReplicas"] == 6)
    hpa = store.get("hpa", "myapp", NS)
    assert hpa["status"]["desiredReplicas"] == 6 and hpa["status"]["lastScaleTime"]
    assert hpa["status"]["currentMetrics"][0]["resource"]["current"] == {
        "averageUtilization": 64,
        "averageValue": "160m",
    }
    # more than maxReplicas can carry: held at the maximum, ScalingLimited says so
    store.patch("hpa", "myapp", {"spec": {"maxReplicas": 7}}, MERGE, NS)
    store.patch("deployments.apps", "myapp", {"metadata": {"annotations": {LOAD: "4"}}}, MERGE, NS)
    kube_server.controllers.reconcile()  # type: ignore[union-attr]
    assert store.get("deployments.apps", "myapp", NS)["spec"]["replicas"] == 7
    assert conditions(store.get("hpa", "myapp", NS))["ScalingLimited"][1] == "TooManyReplicas"
    # the load gone: back down to minReplicas
    store.patch("deployments.apps", "myapp", {"metadata": {"annotations": {LOAD: "30m"}}}, MERGE, NS)
    settle(lambda: store.get("deployments.apps", "myapp", NS)["spec"]["replicas"] == 3)
    settle(lambda: conditions(store.get("hpa", "myapp", NS))["ScalingLimited"][1] == "TooFewReplicas")


def test_bounds_win_over_failing_metrics_and_a_missing_target_is_reported(
    kube_server: FakeKubeServer,
) -> None:
    store, run = kube_server.store, kube_server.controllers.reconcile  # type: ignore[union-attr]
    store.patch("hpa", "payments", {"spec": {"minReplicas": 4}}, MERGE, NS)
    run()
    assert (
        store.get("deployments.apps", "payments", NS)["spec"]["replicas"] == 4
    )  # into range, metrics or not
    assert conditions(store.get("hpa", "payments", NS))["ScalingActive"][0] == "False"
    store.patch("hpa", "payments", {"spec": {"scaleTargetRef": {"name": "nope"}}}, MERGE, NS)
    run()
    status, reason, message = conditions(store.get("hpa", "payments", NS))["AbleToScale"]
    assert (status, reason) == ("False", "FailedGetScale") and "nope" in message


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
def test_kubectl_get_hpa_watch_sees_the_change(kube_server: FakeKubeServer, kubeconfig_path: Path) -> None:
    """The guide's `kubectl get hpa my-app --watch`: a line per change, as the HPA moves."""
    env = {"KUBECONFIG": str(kubeconfig_path), "PATH": "/usr/bin:/bin"}
    cmd = [str(shutil.which("kubectl")), "--cache-dir", str(kubeconfig_path.parent / "kube-cache"),
           "get", "hpa", "myapp", "-n", NS, "--watch", "--request-timeout", "20s"]  # fmt: skip
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as watch:
        try:
            assert watch.stdout is not None
            header, first = watch.stdout.readline(), watch.stdout.readline()
            assert "TARGETS" in header and "cpu: 64%/70%" in first
            store = kube_server.store
            store.patch("deployments.apps", "myapp", {"metadata": {"annotations": {LOAD: "960m"}}}, MERGE, NS)
            kube_server.controllers.reconcile()  # type: ignore[union-attr]
            deadline, lines = time.monotonic() + 20, []
            while time.monotonic() < deadline and not any(line.split()[-2:-1] == ["6"] for line in lines):
                lines.append(watch.stdout.readline())
            assert any(line.split()[-2:-1] == ["6"] for line in lines), lines  # REPLICAS 6
        finally:
            watch.kill()
