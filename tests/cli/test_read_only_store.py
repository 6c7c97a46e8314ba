"""Commands that only read the store never create it: a list of what was recorded is empty when nothing
was (no store yet), a look-up of one record is exit 3 naming the missing store; no file is made either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.cli.main import main


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSBOOK_CONFIG", raising=False)
    return tmp_path


def test_schedule_show_lists_the_calendar_and_makes_no_store(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    assert main(["schedule", "show", "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["last"] for r in rows} == {None}  # every cadence, none has run
    assert list(fresh.iterdir()) == []


@pytest.mark.parametrize("argv", [["incident", "list"], ["maintenance", "list"], ["notify", "log"]])
def test_lists_are_empty_and_make_no_store(
    argv: list[str], fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "-f", "json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
    assert main(argv) == 0
    assert "0 " in capsys.readouterr().out  # the table's title: 0 incidents / windows / notifications
    assert list(fresh.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["incident", "show", "INC-20261201-001"],
        ["incident", "postmortem", "INC-20261201-001"],
        ["maintenance", "show", "1"],
    ],
)
def test_a_look_up_is_exit_3_naming_the_store(
    argv: list[str], fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 3
    err = capsys.readouterr().err.strip()
    assert "no store at .opsbook/opsbook.db" in err and "\n" not in err, err
    assert list(fresh.iterdir()) == []


def test_a_list_reads_the_store_once_it_exists(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "open", "--title", "api down", "--severity", "SEV2", "-f", "json"]) == 0
    capsys.readouterr()
    assert main(["incident", "list", "-f", "json"]) == 0
    assert '"api down"' in capsys.readouterr().out
