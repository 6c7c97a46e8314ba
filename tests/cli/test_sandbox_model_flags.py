"""A bad latency/throttle model setting is one line and exit 2, before any sandbox starts."""

from __future__ import annotations

import pytest

from opsbook.cli.main import main


def test_a_bad_environment_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPSBOOK_SANDBOX_THROTTLE", "fast")
    rc = main(["run", "daily", "--sandbox"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.splitlines() == [err] and "OPSBOOK_SANDBOX_THROTTLE='fast'" in err and "aws, none" in err


def test_a_bad_flag_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["sandbox", "up", "--latency", "slow"])
    assert rc == 2
    assert "--latency" in capsys.readouterr().err
