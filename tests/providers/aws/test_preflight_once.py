"""A dead account is probed once per run: its other regions and clusters get the remembered failure."""

from __future__ import annotations

import time

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import TargetUnavailable
from opsbook.providers.aws.session import SessionFactory
from opsbook.sandbox.faults import FaultProxy


def test_a_black_holed_account_is_probed_once() -> None:
    with FaultProxy(mode="blackhole") as proxy:
        cfg = Config.model_validate(
            {
                "aws": {"endpoint_url": proxy.url, "sandbox_credentials": True},
                "run": {"preflight_timeout": 0.3},
                "accounts": [{"name": "dev", "regions": ["us-east-1", "eu-west-1"]}],
            }
        )
        factory = SessionFactory(cfg)
        account = cfg.account("dev")
        with pytest.raises(TargetUnavailable, match="unreachable"):
            factory.preflight(account)
        probes = sum(proxy.counts.values())
        t0 = time.monotonic()
        with pytest.raises(TargetUnavailable, match="unreachable"):
            factory.preflight(account)  # the next region of the same account
        assert time.monotonic() - t0 < 0.2
        assert sum(proxy.counts.values()) == probes >= 1
