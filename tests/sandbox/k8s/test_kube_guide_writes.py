"""Guide kubectl commands that needed more of the API server: HPA validation (422 as a real server
answers) and `kubectl logs -f` (streams, then ends)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable

import pytest

from opsbook.sandbox.k8s import FakeKubeServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]


def test_hpa_bounds_are_validated_like_a_real_server(kubectl: Kubectl) -> None:
    zero = kubectl(
        "patch", "hpa", "my-app", "-n", "production", "-p", '{"spec":{"maxReplicas":0}}', check=False
    )
    assert zero.returncode == 1
    assert 'The HorizontalPodAutoscaler "my-app" is invalid' in zero.stderr
    assert "spec.maxReplicas: Invalid value: 0: must be greater than or equal to 1" in zero.stderr, (
        zero.stderr
    )
    upside = kubectl("patch", "hpa", "my-app", "-n", "production", "-p",
                     '{"spec":{"minReplicas":9,"maxReplicas":3}}', check=False)  # fmt: skip
    assert upside.returncode == 1 and "must be greater than or equal to minReplicas" in upside.stderr
    low = kubectl(
        "patch", "hpa", "my-app", "-n", "production", "-p", '{"spec":{"minReplicas":0}}', check=False
    )
    assert low.returncode == 1 and "spec.minReplicas: Invalid value: 0" in low.stderr
    ok = kubectl(
        "patch", "hpa", "my-app", "-n", "production", "-p", '{"spec":{"minReplicas":3,"maxReplicas":6}}'
    )
    assert "patched" in ok.stdout


def test_logs_follow_streams_then_ends(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    kube_server.api.log_follow_seconds = 1.5
    started = time.monotonic()
    followed = kubectl("logs", "-f", "-n", "production", "myapp-6d4cf56db6-2xkqp", "--tail=3", timeout=30)
    assert len(followed.stdout.splitlines()) == 3
    assert 1.0 < time.monotonic() - started < 20  # it followed, then ended on its own
