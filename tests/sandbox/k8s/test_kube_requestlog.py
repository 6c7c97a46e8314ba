"""The fake API counts the requests it answered, in process and at `GET /_sandbox/requests`."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable

import pytest

from opsbook.sandbox.k8s import FakeKubeServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]
SCALE = "/apis/apps/v1/namespaces/production/deployments/my-app/scale"


def test_requests_are_counted_and_served_read_only(kubectl: Kubectl, kube_server: FakeKubeServer) -> None:
    assert kube_server.requests.count("PATCH", SCALE) == 0
    kubectl("scale", "deployment", "my-app", "-n", "production", "--replicas=5")
    assert kube_server.requests.count("PATCH", SCALE, 200) == 1
    rows = json.loads(kubectl("get", "--raw", "/_sandbox/requests").stdout)["requests"]
    assert {"method": "PATCH", "path": SCALE, "code": 200, "count": 1} in rows
    assert not any(r["path"] == "/_sandbox/requests" for r in rows)  # reading it is not counted
    refused = kubectl("create", "--raw", "/_sandbox/requests", "-f", "-", check=False)
    assert refused.returncode != 0
