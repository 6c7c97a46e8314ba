"""`opsbook notify test|channels|log`, `config validate|show` with channels, and one end to end: `opsbook run
daily --sandbox` with a channel configured delivers one summary, and the token is in no output."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsbook.cli.main import main
from opsbook.store import notifications
from opsbook.store.db import open_store
from tests.cli.helpers import opsbook
from tests.notify.receiver import Receiver

TOKEN = "tok-9c1e77f2d0aa"


def write_config(tmp_path: Path, receiver: Receiver, db: str = "opsbook.db") -> Path:
    path = tmp_path / "notify.yaml"
    path.write_text(f"""
storage: {{url: "sqlite:///{tmp_path}/{db}"}}
notifications:
  channels:
    hook: {{url: "json://127.0.0.1:{receiver.port}/hook/${{NOTIFY_CLI_TOKEN}}", timeout: 3}}
    down: {{url: "json://127.0.0.1:9/x/${{NOTIFY_CLI_TOKEN}}", timeout: 1}}
  routes:
    - {{events: [run.finished], min_severity: high, channels: [hook]}}
""")
    return path


def test_notify_commands_never_show_the_url(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("opsbook.notify.send.RETRY_PAUSE_S", 0.01)
    cfg = str(write_config(tmp_path, receiver))
    assert main(["--config", cfg, "config", "validate"]) == 2  # the variable is not set
    assert "notifications.channels.hook.url: environment variable NOTIFY_CLI_TOKEN is not set" in (
        capsys.readouterr().err
    )
    assert main(["--config", cfg, "notify", "test", "hook"]) == 2
    monkeypatch.setenv("NOTIFY_CLI_TOKEN", TOKEN)
    assert main(["--config", cfg, "notify", "test", "nope"]) == 2
    assert "no notification channel 'nope' (channels: down, hook)" in capsys.readouterr().err
    assert main(["--config", cfg, "notify", "test", "hook", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"channel": "hook", "ok": True, "error": None}
    assert [(p, b["title"]) for p, b in receiver.posts] == [(f"/hook/{TOKEN}", "opsbook test notification")]
    assert main(["--config", cfg, "notify", "test", "down"]) == 1
    assert main(["--config", cfg, "notify", "channels", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "down", "type": "json", "routes": []},
        {"name": "hook", "type": "json", "routes": ["run.finished >= high"]},
    ]
    assert main(["--config", cfg, "notify", "log", "--since", "1h", "-f", "json"]) == 0
    log = json.loads(capsys.readouterr().out)
    assert [(r["channel"], r["ok"]) for r in log] == [("down", False), ("hook", True)]
    assert main(["--config", cfg, "config", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["notifications"]["channels"]["hook"]["url"] == "**********"
    for rc_args in (["notify", "channels"], ["notify", "log"], ["config", "validate"]):
        assert main(["--config", cfg, *rc_args]) == 0
    out = capsys.readouterr()
    bad = tmp_path / "bad.yaml"
    bad.write_text(f'notifications: {{channels: {{x: {{url: "nosuch://{TOKEN}"}}}}}}\n')
    assert main(["--config", str(bad), "config", "validate"]) == 2
    err = capsys.readouterr().err
    assert "notifications.channels.x.url: not a URL apprise understands" in err and TOKEN not in err
    assert "127.0.0.1" not in out.out + out.err and TOKEN not in out.out + out.err
    assert TOKEN not in (tmp_path / "opsbook.db").read_bytes().decode("latin-1")


def test_notify_log_shows_bracketed_text_and_refuses_a_since_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path}/opsbook.db"
    cfg = tmp_path / "log.yaml"
    cfg.write_text(f'storage: {{url: "{db}"}}\n')
    store = open_store(db)
    try:
        notifications.record(store, notifications.SentNotification(
            kind="run.finished", ref="r1", dedupe_key=None, resolves=False, channel="hook", severity="high",
            ok=False, deduplicated=False, error="sending to [redacted] failed", sent_at=datetime.now(UTC),
            title="[critical] db down", targets=(),
        ))  # fmt: skip
    finally:
        store.close()
    for since in ("99999999d", "9999999999999d"):  # past year 1 / past timedelta's range: not exit 70
        assert main(["--config", str(cfg), "notify", "log", "--since", since]) == 2
        assert f"error: --since: out of range, got '{since}'" in capsys.readouterr().err
    assert main(["--config", str(cfg), "notify", "log"]) == 0
    out = capsys.readouterr().out  # rich markup would swallow "[redacted]" and "[critical]"
    assert "failed: sending to [redacted] failed" in out and "[critical] db down" in out


def test_run_sandbox_reads_a_bad_config_before_starting_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_sandbox() -> None:
        pytest.fail("the sandbox was started before --config was read")

    monkeypatch.setattr("opsbook.cli.sandbox_cmd.running_sandbox", no_sandbox)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'notifications: {channels: {a: {url: "json://127.0.0.1:9/a"}}, routes: [{channels: [b]}]}\n'
    )
    assert main(["--config", str(bad), "run", "daily", "--sandbox"]) == 2
    assert "routes[0]: no channel named 'b'" in capsys.readouterr().err
    assert main(["--config", str(tmp_path / "missing.yaml"), "run", "daily", "--sandbox", "-f", "json"]) == 2
    err = capsys.readouterr().err
    assert "missing.yaml: file not found" in err and len(err.strip().splitlines()) == 1


def test_run_daily_sandbox_sends_one_summary(tmp_path: Path, receiver: Receiver) -> None:
    cfg = write_config(tmp_path, receiver)
    proc = opsbook("--config", str(cfg), "run", "daily", "--sandbox", "--account", "staging", "-f", "json", cwd=tmp_path,
                   env={"NOTIFY_CLI_TOKEN": TOKEN})  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # high-severity findings, as without notifications
    report = json.loads(proc.stdout)
    [(path, body)] = receiver.posts  # one summary for the whole run, not one per finding
    assert path == f"/hook/{TOKEN}" and body["type"] == "failure"
    failing = [f for f in report["findings"] if f["status"] == "fail"]
    # the run was narrowed to one account, and its title says so (it is not daily's whole estate)
    title = f"opsbook daily[account=staging]: {len(failing)} new, 0 still failing, 0 resolved"
    assert body["title"].startswith(title)
    top = {f"- [{f['severity']}] {f['check_id']} on {f['target']['key']}: {f['message']}" for f in failing}
    assert all(line in top for line in body["message"].splitlines()[:5])
    assert body["message"].startswith("- [critical] ")  # highest first; the event's severity is critical
    lines = body["message"].splitlines()  # the top five new failures (and "... and N more")
    assert len(lines) == min(len(failing), 5) + (len(failing) > 5) and len(failing) > 1
    assert "rds.instance_not_available on aws:staging/us-east-1: my-database-reporting" in body["message"]
    assert report["extras"]["notifications"] == [
        {"channel": "hook", "ok": True, "deduplicated": False, "error": None}
    ]
    with sqlite3.connect(tmp_path / ".opsbook" / "sandbox.db") as db:
        rows = db.execute("SELECT kind, channel, ok, ref, dedupe_key FROM notifications").fetchall()
    assert rows == [("run.finished", "hook", 1, report["run_id"], rows[0][4])] and rows[0][4].startswith(
        "run:daily[account=staging]:"  # deduplicated per label: a narrowed run is its own
    )
    assert TOKEN not in proc.stdout + proc.stderr
    assert TOKEN not in (tmp_path / ".opsbook" / "sandbox.db").read_bytes().decode("latin-1")
