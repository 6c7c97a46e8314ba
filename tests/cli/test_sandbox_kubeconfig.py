"""`opsbook sandbox up --kubeconfig-out FILE` writes a kubeconfig, names it in its banner, and kubectl works."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.helpers import OPSBOOK, die_with_parent


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
def test_sandbox_up_writes_a_kubeconfig_kubectl_can_use(tmp_path: Path) -> None:
    cfg, kubeconfig = tmp_path / "sandbox.yaml", tmp_path / "kube" / "config"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    args = ["sandbox", "up", "--config-out", str(cfg), "--kubeconfig-out", str(kubeconfig)]
    up = subprocess.Popen(
        [*OPSBOOK, *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=die_with_parent,
    )
    try:
        deadline = time.monotonic() + 120
        while not cfg.exists():
            assert up.poll() is None, up.stderr.read() if up.stderr else ""
            assert time.monotonic() < deadline, "sandbox up did not write its config"
            time.sleep(0.2)
        assert kubeconfig.exists() and kubeconfig.stat().st_mode & 0o777 == 0o600
        nodes = subprocess.run(["kubectl", "get", "nodes"], env={**env, "KUBECONFIG": str(kubeconfig)},
                               capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert nodes.returncode == 0, nodes.stderr
        assert "NotReady" in nodes.stdout
    finally:
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=30)
    assert f"kubeconfig written to: {kubeconfig}" in out
    assert not kubeconfig.exists()  # its token died with the sandbox
