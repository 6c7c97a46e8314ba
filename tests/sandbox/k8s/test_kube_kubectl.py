"""kubectl 1.32 against the fake API over HTTPS with a bearer token (skipped when kubectl is absent)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import pytest

from opsbook.sandbox.k8s import FakeKubeServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]


def test_get_nodes_pods_and_deployments(kubectl: Kubectl) -> None:
    nodes = kubectl("get", "nodes").stdout
    assert "NotReady" in nodes and "Ready,SchedulingDisabled" in nodes
    pods = kubectl("get", "pods", "-A").stdout
    assert "CrashLoopBackOff" in pods and "Pending" in pods and "Completed" in pods
    assert pods.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]
    wide = kubectl("get", "deployments", "-A", "-o", "wide").stdout
    assert "IMAGES" in wide and "mycompany/payments:3.1.0" in wide
    assert any(line.split()[1:3] == ["payments", "1/3"] for line in wide.splitlines())


def test_top_nodes_and_pods(kubectl: Kubectl) -> None:
    nodes = kubectl("top", "nodes").stdout
    assert "92%" in nodes and "<unknown>" in nodes
    pods = kubectl("top", "pods", "-A", "--sort-by=memory").stdout
    assert pods.splitlines()[1].split()[1].startswith("myapp-")


def test_logs_and_scale(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    tail = kubectl("logs", "-n", "production", "-l", "app=myapp", "--tail=4").stdout
    assert len(tail.splitlines()) == 12 and "ERROR" in tail
    single = kubectl("logs", "-n", "production", "myapp-6d4cf56db6-2xkqp", "--tail=1")
    assert len(single.stdout.splitlines()) == 1
    kubectl("scale", "deployment", "my-app", "-n", "production", "--replicas=7")
    # my-app's HPA (2..4, above its CPU target) undoes a manual scale, as on a real cluster
    assert kube_server.store.get("deployments.apps", "my-app", "production")["spec"]["replicas"] == 4


def test_hpa_backups_and_bindings(kubectl: Kubectl) -> None:
    hpa = kubectl("get", "hpa", "-A").stdout
    assert "cpu: <unknown>/70%" in hpa and "cpu: 95%/70%" in hpa
    backups = kubectl("get", "backups", "-n", "velero").stdout
    assert "PartiallyFailed" in backups and "Failed" in backups
    bindings = kubectl("get", "clusterrolebindings", "-o", "wide").stdout
    assert "jane@mycompany.com" in bindings and "system:masters" in bindings


def test_patch_set_image_and_forbidden(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    kubectl("set", "image", "deployment/myapp", "app=mycompany/myapp:2.0.0", "-n", "production")
    deployment = kube_server.store.get("deployments.apps", "myapp", "production")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "mycompany/myapp:2.0.0" and container["resources"]["limits"]
    kubectl("patch", "hpa", "myapp", "-n", "production", "-p", '{"spec":{"maxReplicas":30}}')
    assert kube_server.store.get("hpa", "myapp", "production")["spec"]["maxReplicas"] == 30
    kube_server.forbid("list", "pods")
    denied = kubectl("get", "pods", "-A", check=False)
    assert denied.returncode != 0 and "Forbidden" in denied.stderr
