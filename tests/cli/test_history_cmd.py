"""`opsbook history` and `opsbook show` on a store of one run: counts, and a finding's text kept inert in
`show -f markdown` (a resource named `<script>` or `![x](url)` reaches a wiki as text)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.cli.main import main
from opsbook.core.models import Status
from opsbook.store import runs
from opsbook.store.db import open_store
from tests.store.test_store_backends import T, finding

HOSTILE = "<script>alert(1)</script> ![x](https://example.invalid/p.png)"


def test_history_counts_and_show_markdown_escapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    store = open_store(url)
    at = datetime(2026, 12, 1, 6, tzinfo=UTC)
    try:
        runs.begin_run(store, run_id="r1", scope="daily", started_at=at, targets=[T])
        fs = [finding(HOSTILE, Status.FAIL), finding("ok", Status.PASS)]
        runs.record_target(store, run_id="r1", target=T, findings=fs, error=None, seconds=0.1)
        runs.finish_run(store, run_id="r1", status="complete", finished_at=at, api_calls={})
    finally:
        store.close()
    config = tmp_path / "opsbook.yaml"
    config.write_text(f"storage: {{url: '{url}'}}\n", encoding="utf-8")
    assert main(["--config", str(config), "history", "-f", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["run_id"] == "r1" and row["counts"] == {"fail": 1, "pass": 1}
    assert main(["--config", str(config), "show", "r1", "-f", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "&lt;script>" in out and "<script>" not in out and "![x](" not in out


@pytest.mark.parametrize(
    "argv",
    [
        ["history"],
        ["show", "r1"],
        ["metrics"],
        ["report", "monthly", "--month", "2026-11"],
        ["audit", "list"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_read_only_command_on_a_store_that_is_not_there_is_exit_3_and_creates_nothing(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "not-yet" / "opsbook.db"
    config = tmp_path / "opsbook.yaml"
    config.write_text(f"storage: {{url: 'sqlite:///{missing}'}}\n", encoding="utf-8")
    assert main(["--config", str(config), *argv]) == 3
    err = capsys.readouterr().err.strip()
    assert f"no store at {missing}" in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["opsbook.yaml"]  # no file, no directory


def test_a_narrowed_runs_label_shows_whole_in_the_history_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # wide enough that the table wraps no cell
    url = f"sqlite:///{tmp_path}/s.db"
    store = open_store(url)
    at = datetime(2026, 12, 1, 6, tzinfo=UTC)
    try:
        runs.begin_run(store, run_id="r1", scope="daily[account=dev]", started_at=at, targets=[T])
        runs.finish_run(store, run_id="r1", status="complete", finished_at=at, api_calls={})
    finally:
        store.close()
    config = tmp_path / "opsbook.yaml"
    config.write_text(f"storage: {{url: '{url}'}}\n", encoding="utf-8")
    assert main(["--config", str(config), "history"]) == 0
    assert "daily[account=dev]" in capsys.readouterr().out  # text, not rich markup (which ate the brackets)
