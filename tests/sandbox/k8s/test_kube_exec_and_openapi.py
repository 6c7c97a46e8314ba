"""kubectl 1.32 exec over WebSocket into the fake shell, and apply/create validated through the served
OpenAPI v3 (fieldValidation=Strict) for built-in kinds and a CRD's custom resources."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from opsbook.sandbox.k8s import FakeKubeServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]
POD = "myapp-6d4cf56db6-2xkqp"
MANIFESTS = Path(__file__).parent / "manifests"


def test_exec_runs_the_fake_shell_with_exit_codes(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    assert kubectl("exec", "-n", "production", POD, "--", "hostname").stdout == f"{POD}\n"
    found = kubectl(
        "exec", "-n", "production", POD, "--", "bash", "-c", "nslookup payments.production"
    ).stdout
    assert "Address: 172.20.52.9" in found
    piped = kubectl(
        "exec", "-i", "-n", "production", POD, "--", "bash", input="echo one\nnope x\n", check=False
    )
    assert piped.stdout == "one\n" and "bash: nope: command not found" in piped.stderr
    assert piped.returncode == 127 and "command terminated with exit code 127" in piped.stderr
    path = f"/api/v1/namespaces/production/pods/{POD}/exec"
    assert kube_server.requests.count("GET", path, 101) == 3
    pending = kubectl("exec", "-n", "production", "worker-59d6f7c8b-zt5lq", "--", "hostname", check=False)
    assert pending.returncode == 1 and 'container not found ("app")' in pending.stderr


def test_apply_validates_against_the_served_openapi(kubectl: Kubectl, kube_server: FakeKubeServer,
                                                    tmp_path: Path) -> None:  # fmt: skip
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: default}\n"
                        "data: {a: b}\nspec: {x: 1}\n")  # fmt: skip
    refused = kubectl("apply", "-f", str(manifest), check=False)
    assert refused.returncode == 1, refused.stderr
    assert ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
            'unknown field "spec"') in refused.stderr  # fmt: skip
    assert "--validate=false" not in refused.stderr  # the OpenAPI was found: the server decided
    kubectl("apply", "--validate=false", "-f", str(manifest))  # Ignore: the unknown field is dropped
    assert "spec" not in kube_server.store.get("configmaps", "cm", "default")
    kubectl("apply", "-f", str(MANIFESTS / "aws-load-balancer-controller-v2.6.0.yaml"))
    binding = tmp_path / "tgb.yaml"
    binding.write_text("apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\n"
                       "metadata: {name: web, namespace: production}\n"
                       "spec: {targetType: ip, serviceRef: {name: my-app, port: 80}, targetTypo: 1}\n")  # fmt: skip
    typo = kubectl("create", "-f", str(binding), check=False)
    assert 'strict decoding error: unknown field "spec.targetTypo"' in typo.stderr
    binding.write_text(binding.read_text().replace(", targetTypo: 1", ""))
    kubectl("create", "-f", str(binding))
    listed = kubectl("get", "tgb", "-n", "production", "-o", "jsonpath={.items[0].spec.targetType}").stdout
    assert listed == "ip"
    kubectl("delete", "crd", "targetgroupbindings.elbv2.k8s.aws")
    assert "targetgroupbindings.elbv2.k8s.aws" not in {rt.key for rt in kube_server.store.custom_types}
