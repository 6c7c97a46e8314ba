"""The smoke-test step: argv parsed at plan time, run without a shell, its exit code decides."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from opsbook.core.errors import InputError
from opsbook.procedures.kinds import KINDS
from opsbook.procedures.smoke import SmokeTestFailed, parse_command, run_smoke, smoke_item


def test_parse_splits_words_and_refuses_bad_commands(tmp_path: Path) -> None:
    script = tmp_path / "smoke.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    assert parse_command("./smoke.sh --env 'dev use1'", cwd=tmp_path) == ["./smoke.sh", "--env", "dev use1"]
    with pytest.raises(InputError, match="does not exist"):
        parse_command("./missing.sh", cwd=tmp_path)
    (tmp_path / "plain.sh").write_text("exit 0\n")
    with pytest.raises(InputError, match="not executable"):
        parse_command("./plain.sh", cwd=tmp_path)
    with pytest.raises(InputError, match="not on PATH"):
        parse_command("no-such-program-opsbook")
    with pytest.raises(InputError, match="empty"):
        parse_command("  ")
    with pytest.raises(InputError, match="quotation"):
        parse_command("echo 'open")


def test_run_passes_on_zero_and_fails_with_the_output_tail(tmp_path: Path) -> None:
    ok = run_smoke({"argv": [sys.executable, "-c", "print('all good')"], "cwd": str(tmp_path)})
    assert ok["exit_code"] == 0 and ok["output_tail"] == ["all good"]
    bad = [sys.executable, "-c", "import sys; print('checkout 502'); sys.exit(3)"]
    with pytest.raises(SmokeTestFailed, match="exited 3 .*checkout 502"):
        run_smoke({"argv": bad})
    with pytest.raises(SmokeTestFailed, match="deadline"):
        run_smoke({"argv": [sys.executable, "-c", "import time; time.sleep(5)"], "timeout_s": 0.3})


def test_no_shell_metacharacters_are_interpreted(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    out = run_smoke({"argv": ["echo", f"; touch {marker}"]})
    assert out["output_tail"] == [f"; touch {marker}"] and not marker.exists()


def test_item_depends_on_the_step_it_verifies() -> None:
    item = smoke_item(["true"], after="002", label="dev", account="dev", region="us-east-1")
    assert item.depends_on == ["002"] and item.kind == "smoke-test" and item.account == "dev"
    assert KINDS.get("smoke-test").action == "run-smoke-test"
