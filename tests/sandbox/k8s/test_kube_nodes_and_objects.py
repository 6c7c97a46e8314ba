"""Real kubectl 1.32 against the sandbox: cordon/drain with PodDisruptionBudgets, autoscale, secrets and
config maps created by kubectl (protobuf bodies), DaemonSets and Endpoints; read back through the API."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from opsbook.sandbox.k8s import FakeKubeServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]
Settle = Callable[[Callable[[], bool]], None]
SYSTEM_NODE = "ip-10-0-1-10.ec2.internal"
APP_NODE = "ip-10-0-2-20.ec2.internal"
TAINT = "node.kubernetes.io/unschedulable"


def _taints(server: FakeKubeServer, node: str) -> list[str]:
    return [t["key"] for t in server.store.get("nodes", node)["spec"].get("taints", [])]


def test_cordon_taints_and_uncordon_untaints(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    kubectl("cordon", APP_NODE)
    node = kube_server.store.get("nodes", APP_NODE)
    assert node["spec"]["unschedulable"] is True and TAINT in _taints(kube_server, APP_NODE)
    assert "Ready,SchedulingDisabled" in kubectl("get", "node", APP_NODE).stdout
    kubectl("uncordon", APP_NODE)
    assert TAINT not in _taints(kube_server, APP_NODE)


def _apply(kubectl: Kubectl, tmp_path: Path, text: str) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(text)
    kubectl("apply", "--validate=false", "-f", str(manifest))


PDB = """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: myapp, namespace: production}
spec: {minAvailable: 3, selector: {matchLabels: {app: myapp}}}
"""


def test_drain_honours_disruption_budgets(
    kubectl: Kubectl, kube_server: FakeKubeServer, tmp_path: Path, settle: Settle
) -> None:
    _apply(kubectl, tmp_path, PDB)
    settle(lambda: "status" in kube_server.store.get("poddisruptionbudgets.policy", "myapp", "production"))
    budget = kube_server.store.get("poddisruptionbudgets.policy", "myapp", "production")["status"]
    assert (budget["currentHealthy"], budget["disruptionsAllowed"]) == (3, 0)
    refused = kubectl("drain", SYSTEM_NODE, "--ignore-daemonsets", "--timeout=3s", check=False)
    assert refused.returncode != 0 and "violate the pod's disruption budget" in refused.stderr
    assert kube_server.store.get("pods", "myapp-6d4cf56db6-2xkqp", "production")  # still there
    kubectl("delete", "pdb", "myapp", "-n", "production")
    drained = kubectl("drain", SYSTEM_NODE, "--ignore-daemonsets", "--timeout=30s")
    assert "evicted" in drained.stdout and "drained" in drained.stdout
    on_node = kube_server.store.list("pods", field_selector_text=f"spec.nodeName={SYSTEM_NODE}")
    kinds = {ref["kind"] for p in on_node for ref in p["metadata"].get("ownerReferences", [])}
    assert len(on_node) == 2 and kinds == {"DaemonSet"}  # --ignore-daemonsets leaves aws-node, kube-proxy
    # the evicted pods' ReplicaSets replaced them on other nodes
    settle(lambda: len(kube_server.store.list("pods", "production", "app=myapp")) == 3)
    assert TAINT in _taints(kube_server, SYSTEM_NODE)


DAEMONSET = """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: kube-system}
spec:
  selector: {matchLabels: {app: node-exporter}}
  template:
    metadata: {labels: {app: node-exporter}}
    spec:
      containers:
      - {name: exporter, image: prom/node-exporter:v1.8.2, resources: {requests: {cpu: 10m, memory: 16Mi}}}
"""


def test_daemonset_runs_one_pod_per_ready_node_and_drain_ignores_it(
    kubectl: Kubectl, kube_server: FakeKubeServer, tmp_path: Path, settle: Settle
) -> None:
    _apply(kubectl, tmp_path, DAEMONSET)
    pods = kube_server.store.list("pods", "kube-system", "app=node-exporter")
    ready_nodes = 5  # six nodes, one NotReady
    assert len(pods) == ready_nodes and len({p["spec"]["nodeName"] for p in pods}) == ready_nodes
    settle(
        lambda: (
            kube_server.store.get("daemonsets.apps", "node-exporter", "kube-system")["status"]["numberReady"]
            == 5
        )
    )
    listed = kubectl("get", "ds", "node-exporter", "-n", "kube-system").stdout
    assert listed.splitlines()[1].split()[:6] == ["node-exporter", "5", "5", "5", "5", "5"]
    refused = kubectl("drain", APP_NODE, "--timeout=5s", check=False)
    assert refused.returncode != 0 and "DaemonSet-managed Pods" in refused.stderr
    kubectl("drain", APP_NODE, "--ignore-daemonsets", "--timeout=30s")
    left = kube_server.store.list("pods", field_selector_text=f"spec.nodeName={APP_NODE}")
    owners = sorted(p["metadata"]["ownerReferences"][0]["name"] for p in left)
    assert owners == ["aws-node", "kube-proxy", "node-exporter"]  # only DaemonSet pods stay


def test_autoscale_creates_a_v1_hpa_that_scales_into_range(
    kubectl: Kubectl, kube_server: FakeKubeServer, settle: Settle
) -> None:
    kubectl(
        "autoscale", "deployment", "legacy-app", "-n", "default", "--min=3", "--max=5", "--cpu-percent=80"
    )
    hpa = kube_server.store.get("hpa", "legacy-app", "default")
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["minReplicas"] == 3
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 80
    assert kube_server.store.get("deployments.apps", "legacy-app", "default")["spec"]["replicas"] == 3
    settle(lambda: len(kube_server.store.list("pods", "default", "app=legacy-app")) == 3)
    listed = kubectl("get", "hpa", "legacy-app", "-n", "default").stdout
    assert listed.splitlines()[1].split()[-4:-1] == ["3", "5", "3"]
    v1 = kubectl("get", "horizontalpodautoscalers.v1.autoscaling", "legacy-app", "-n", "default", "-o",
                 "jsonpath={.spec.targetCPUUtilizationPercentage}").stdout  # fmt: skip
    assert v1 == "80"
    taken = kubectl(
        "autoscale", "deployment", "my-app", "-n", "production", "--min=3", "--max=20", check=False
    )
    assert "AlreadyExists" in taken.stderr  # the guide's my-app already has one, as on the real cluster


def test_create_secret_and_configmap_from_literals(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    kubectl("create", "secret", "generic", "my-secret", "-n", "production", "--from-literal=password=s3cret")
    secret = kube_server.store.get("secrets", "my-secret", "production")
    assert base64.b64decode(secret["data"]["password"]) == b"s3cret" and secret["type"] == "Opaque"
    kubectl("create", "configmap", "my-config", "-n", "production", "--from-literal=LOG_LEVEL=debug")
    assert kube_server.store.get("configmaps", "my-config", "production")["data"] == {"LOG_LEVEL": "debug"}
    # the guide's form: render client-side, then apply
    rendered = kubectl("create", "secret", "generic", "db", "-n", "production", "--from-literal=k=v",
                       "--dry-run=client", "-o", "yaml").stdout  # fmt: skip
    assert "kind: Secret" in rendered


def test_create_namespace_and_serviceaccount(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    """kubectl posts both as protobuf (a server that cannot read them answers 415, and kubectl gives up)."""
    kubectl("create", "namespace", "team-a")
    assert kube_server.store.get("namespaces", "team-a")["metadata"]["name"] == "team-a"
    assert "team-a" in kubectl("get", "namespaces").stdout
    kubectl("create", "serviceaccount", "deployer", "-n", "team-a")
    assert kube_server.store.get("serviceaccounts", "deployer", "team-a")["metadata"]["namespace"] == "team-a"
    taken = kubectl("create", "namespace", "team-a", check=False)
    assert taken.returncode == 1 and "AlreadyExists" in taken.stderr


def test_services_have_endpoints(kubectl: Kubectl, kube_server: FakeKubeServer, settle: Settle) -> None:
    endpoints = kube_server.store.get("endpoints", "myapp", "production")
    ips = sorted(a["ip"] for a in endpoints["subsets"][0]["addresses"])
    assert ips == ["10.0.3.11", "10.0.3.12", "10.0.3.13"]
    kubectl("delete", "hpa", "myapp", "-n", "production")  # it would undo a manual scale
    kubectl("scale", "deployment", "myapp", "-n", "production", "--replicas=4")
    settle(
        lambda: (
            len(kube_server.store.get("endpoints", "myapp", "production")["subsets"][0].get("addresses", []))
            == 4
        )
    )
    assert "10.0.3.11:" in kubectl("get", "endpoints", "myapp", "-n", "production").stdout
