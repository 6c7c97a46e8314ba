"""kubectl 1.32 against the fake API over HTTPS with a bearer token (skipped when kubectl is absent)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from opsbook.sandbox.k8s import FakeKubeServer

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")


def kubectl(kubeconfig: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    cache = kubeconfig.parent / "kube-cache"
    result = subprocess.run(
        [KUBECTL, "--cache-dir", str(cache), "--request-timeout", "20s", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_get_nodes_pods_and_deployments(kubeconfig_path: Path) -> None:
    nodes = kubectl(kubeconfig_path, "get", "nodes").stdout
    assert "NotReady" in nodes and "Ready,SchedulingDisabled" in nodes
    pods = kubectl(kubeconfig_path, "get", "pods", "-A").stdout
    assert "CrashLoopBackOff" in pods and "Pending" in pods and "Completed" in pods
    assert pods.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]
    wide = kubectl(kubeconfig_path, "get", "deployments", "-A", "-o", "wide").stdout
    assert "IMAGES" in wide and "mycompany/payments:3.1.0" in wide
    assert any(line.split()[1:3] == ["payments", "1/3"] for line in wide.splitlines())


def test_top_nodes_and_pods(kubeconfig_path: Path) -> None:
    nodes = kubectl(kubeconfig_path, "top", "nodes").stdout
    assert "92%" in nodes and "<unknown>" in nodes
    pods = kubectl(kubeconfig_path, "top", "pods", "-A", "--sort-by=memory").stdout
    assert pods.splitlines()[1].split()[1].startswith("myapp-")


def test_logs_and_scale(kubeconfig_path: Path, kube_server: FakeKubeServer) -> None:
    tail = kubectl(kubeconfig_path, "logs", "-n", "production", "-l", "app=myapp", "--tail=4").stdout
    assert len(tail.splitlines()) == 12 and "ERROR" in tail
    single = kubectl(kubeconfig_path, "logs", "-n", "production", "myapp-6d4cf56db6-2xkqp", "--tail=1")
    assert len(single.stdout.splitlines()) == 1
    kubectl(kubeconfig_path, "scale", "deployment", "my-app", "-n", "production", "--replicas=7")
    assert kube_server.store.get("deployments.apps", "my-app", "production")["spec"]["replicas"] == 7


def test_hpa_backups_and_bindings(kubeconfig_path: Path) -> None:
    hpa = kubectl(kubeconfig_path, "get", "hpa", "-A").stdout
    assert "cpu: <unknown>/70%" in hpa and "cpu: 95%/70%" in hpa
    backups = kubectl(kubeconfig_path, "get", "backups", "-n", "velero").stdout
    assert "PartiallyFailed" in backups and "Failed" in backups
    bindings = kubectl(kubeconfig_path, "get", "clusterrolebindings", "-o", "wide").stdout
    assert "jane@mycompany.com" in bindings and "system:masters" in bindings


def test_patch_set_image_and_forbidden(kubeconfig_path: Path, kube_server: FakeKubeServer) -> None:
    kubectl(
        kubeconfig_path, "set", "image", "deployment/myapp", "app=mycompany/myapp:2.0.0", "-n", "production"
    )
    deployment = kube_server.store.get("deployments.apps", "myapp", "production")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "mycompany/myapp:2.0.0" and container["resources"]["limits"]
    kubectl(kubeconfig_path, "patch", "hpa", "myapp", "-n", "production", "-p", '{"spec":{"maxReplicas":30}}')
    assert kube_server.store.get("hpa", "myapp", "production")["spec"]["maxReplicas"] == 30
    kube_server.forbid("list", "pods")
    denied = kubectl(kubeconfig_path, "get", "pods", "-A", check=False)
    assert denied.returncode != 0 and "Forbidden" in denied.stderr
