"""A missing opsbook.yaml names the ways out that the command line's own command has."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.cli.main import main


@pytest.mark.parametrize(
    ("argv", "way"),
    [
        (["serve", "--schedule"], "`opsbook serve --sandbox-store`"),
        (["schedule", "run"], "`opsbook schedule run --sandbox`"),
        (["run", "daily"], "`opsbook run --sandbox`"),
        (["--config", "gone.yaml", "history"], "`opsbook history --sandbox`"),
        (["--config", "gone.yaml", "schedule", "show"], "`opsbook schedule show --sandbox-store`"),
        (["--config", "serve", "run", "daily"], "`opsbook run --sandbox`"),  # a file named like a command
    ],
)
def test_the_hint_names_the_running_commands_flag(
    argv: list[str],
    way: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSBOOK_CONFIG", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "file not found" in err and "\n" not in err, err
    assert "opsbook config init" in err and "`opsbook --config FILE`" in err, err
    assert err.endswith(f"or {way})"), err
    assert list(tmp_path.iterdir()) == []


def test_a_command_without_a_sandbox_flag_offers_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--config", "gone.yaml", "audit", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("file not found (run `opsbook config init`, pass `opsbook --config FILE`)"), err
    assert "--sandbox" not in err
