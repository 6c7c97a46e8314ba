"""`drift detect`'s selection (engine/drift.py detect_request): without --kind, the drift checks the config
enables (an opt-in one only when turned on), and with --stack/--component only the kinds that narrow to
them, each narrowed; naming a kind that cannot narrow with them is bad input."""

from __future__ import annotations

from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.engine.drift import detect_request

PROD = "mycompany-prod-use1"
PLAN, LIVE, UNMANAGED = "drift.terraform_plan", "drift.state_vs_live", "drift.unmanaged"


def test_default_kinds_follow_the_config_and_the_stack_selection(sandbox: Any) -> None:
    raw = sandbox.config()
    on = Config.model_validate(raw)  # the sandbox turns drift.unmanaged on
    silent = Config.model_validate(raw | {"checks": {}})
    assert detect_request(on, None, [], [])[1] == [PLAN, LIVE, UNMANAGED]
    assert detect_request(silent, None, [], [])[1] == [PLAN, LIVE]
    assert detect_request(silent, ["unmanaged"], [], [])[1] == [UNMANAGED]  # naming it opts in

    cfg, ids = detect_request(on, None, [PROD], ["eks"])
    assert ids == [PLAN, LIVE]
    for cid in ids:
        assert (cfg.checks[cid]["stacks"], cfg.checks[cid]["components"]) == ([PROD], ["eks"])
    assert cfg.checks[UNMANAGED] == raw["checks"][UNMANAGED]


def test_a_kind_that_cannot_narrow_or_no_enabled_kind_is_bad_input(sandbox: Any) -> None:
    raw = sandbox.config()
    with pytest.raises(InputError, match="--kind unmanaged: drift.unmanaged lists resources no stack holds"):
        detect_request(Config.model_validate(raw), ["live", "unmanaged"], [PROD], [])
    off = {cid: {"enabled": False} for cid in (PLAN, LIVE, UNMANAGED)}
    with pytest.raises(InputError, match="no drift check is enabled"):
        detect_request(Config.model_validate(raw | {"checks": off}), None, [], [])
