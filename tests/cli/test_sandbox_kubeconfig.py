"""`opsbook sandbox up --kubeconfig-out FILE` writes a kubeconfig, names it in its banner, and kubectl works."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.helpers import sandbox_up, stop


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
def test_sandbox_up_writes_a_kubeconfig_kubectl_can_use(tmp_path: Path) -> None:
    cfg, kubeconfig = tmp_path / "sandbox.yaml", tmp_path / "kube" / "config"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with sandbox_up(tmp_path, cfg, "--kubeconfig-out", str(kubeconfig)) as up:
        assert kubeconfig.exists() and kubeconfig.stat().st_mode & 0o777 == 0o600
        nodes = subprocess.run(["kubectl", "get", "nodes"], env={**env, "KUBECONFIG": str(kubeconfig)},
                               capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert nodes.returncode == 0, nodes.stderr
        assert "NotReady" in nodes.stdout
        out = stop(up)
    assert f"kubeconfig written to: {kubeconfig}" in out
    assert not kubeconfig.exists()  # its token died with the sandbox
