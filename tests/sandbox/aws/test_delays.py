"""The sandbox's AWS delays: defaults, one environment variable each (for a sandbox in another process), and
a bad value named with its variable."""

from __future__ import annotations

import pytest

from opsbook.core.errors import ConfigError
from opsbook.sandbox.aws.data import DEFAULT_DELAYS, SandboxData, delay_variable
from opsbook.sandbox.runtime import Sandbox


def test_each_delay_has_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert delay_variable("eks.cluster_update") == "OPSBOOK_SANDBOX_EKS_CLUSTER_UPDATE_SECONDS"
    assert SandboxData().delays == DEFAULT_DELAYS
    monkeypatch.setenv("OPSBOOK_SANDBOX_EKS_CLUSTER_UPDATE_SECONDS", "1.5")
    monkeypatch.setenv("OPSBOOK_SANDBOX_EKS_NODEGROUP_DRAIN_TIMEOUT_SECONDS", "0")
    monkeypatch.setenv("OPSBOOK_SANDBOX_NODE_READY_SECONDS", "0.25")
    sb = Sandbox()
    assert sb.data.delays == DEFAULT_DELAYS | {"eks.cluster_update": 1.5, "eks.nodegroup_drain_timeout": 0.0}
    assert sb.node_ready_seconds == 0.25
    assert (
        Sandbox(nodegroup_update_seconds=0.5, node_ready_seconds=1).data.delays["eks.nodegroup_update"] == 0.5
    )


@pytest.mark.parametrize("raw", ["soon", "-1", "nan", "1e9"])
def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("OPSBOOK_SANDBOX_EKS_ADDON_UPDATE_SECONDS", raw)
    with pytest.raises(ConfigError, match=f"OPSBOOK_SANDBOX_EKS_ADDON_UPDATE_SECONDS={raw!r} "):
        SandboxData()
