"""`opsbook schedule show|run` and `opsbook serve --schedule`: bad calendars are exit 2 in one line naming
the field; the launcher runs the real `opsbook run`; and end to end, `serve --schedule` on the sandbox runs
the due cadence, stores the run and shows it on the dashboard's Schedule page."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.cli.main import main
from tests.cli.helpers import OPSBOOK, die_with_parent, serving_process

OTHERS = ("security", "backup", "performance", "cost", "drift", "audit", "capacity", "compliance")


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("calendar", "says"),
    [
        ({"timezone": "Mars/Olympus"}, "calendar.timezone: not an IANA time zone name"),
        ({"times": {"daily": "0 25 * * *"}}, "calendar.times.daily: not a cron expression"),
        ({"times": {"daily": "0 7 * * * 30"}}, "calendar.times.daily: not a cron expression"),
        ({"times": {"weekly": "0 9 * * *"}}, "calendar.times.weekly"),
        (
            {"times": {"security": "0 9 * * tue"}},
            "calendar.times.security: '0 9 * * tue' never falls on a day",
        ),
    ],
)
@pytest.mark.parametrize("command", [["schedule", "show"], ["serve", "--port", "0", "--schedule"]])
def test_a_bad_calendar_is_exit_2_in_one_line_naming_the_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    calendar: dict[str, Any],
    says: str,
    command: list[str],
) -> None:
    config = write(tmp_path / "opsbook.yaml", {"storage": {"url": f"sqlite:///{tmp_path}/o.db"},
                                               "calendar": calendar})  # fmt: skip
    assert main(["--config", str(config), *command]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1


def test_show_lists_each_cadence_with_its_next_start_and_last_slot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from opsbook.store import schedule
    from opsbook.store.db import open_store

    url = f"sqlite:///{tmp_path}/o.db"
    config = write(tmp_path / "opsbook.yaml", {"storage": {"url": url}, "calendar": {
        "timezone": "Europe/Berlin", "times": {"cost": "off"}}})  # fmt: skip
    store = open_store(url)
    slot = datetime(2026, 12, 1, 6, tzinfo=UTC)
    fire = schedule.claim(store, cadence="daily", scope="daily", slot_at=slot, at=slot)
    assert fire is not None
    schedule.finish(store, fire_id=fire.id, state="done", at=slot, run_id="r1", exit_code=1, note="findings")
    store.close()
    capsys.readouterr()
    assert main(["--config", str(config), "schedule", "show", "--format", "json"]) == 0
    rows = {r["cadence"]: r for r in json.loads(capsys.readouterr().out)}
    assert "cost" not in rows and rows["security"]["scope"] == "weekly:monday"
    assert rows["daily"]["cron"] == "0 7 * * *" and rows["daily"]["next"].endswith("T07:00:00+01:00")
    assert rows["daily"]["last"]["run_id"] == "r1" and rows["daily"]["last"]["state"] == "done"
    assert rows["audit"]["last"] is None


def test_the_sandbox_schedule_takes_the_files_calendar_and_runs_with_sandbox(tmp_path: Path) -> None:
    from opsbook.cli import schedule_cmd
    from opsbook.cli.common import STATE
    from opsbook.cli.schedule_launch import RunLauncher, outcome
    from opsbook.engine.timetable import Cadence

    config = write(tmp_path / "opsbook.yaml", {"calendar": {"timezone": "Europe/Berlin"}})
    STATE.config_path = str(config)
    try:
        cfg, path = schedule_cmd.schedule_config(True)
    finally:
        STATE.config_path = None
    assert cfg.storage.url == "sqlite:///.opsbook/sandbox.db" and cfg.calendar.timezone == "Europe/Berlin"
    argv = RunLauncher(path, sandbox=True, workdir=tmp_path).argv(Cadence("audit", "monthly:audit", "0 10 * * *"),
                                                                  tmp_path / "r.json")  # fmt: skip
    assert argv[argv.index("--config") + 1] == str(config.resolve())
    assert argv[argv.index("run") :] == ["run", "monthly:audit", "--format", "json", "--output",
                                         str(tmp_path / "r.json"), "--sandbox"]  # fmt: skip
    (tmp_path / "r.json").write_text('{"run_id": "abc"}')
    assert outcome(3, "", tmp_path / "r.json").state == "done"
    failed = outcome(2, "warning: x\nerror: opsbook.yaml:3: accounts: bad\n", tmp_path / "missing.json")
    assert failed.state == "failed" and failed.note == "exit 2: error: opsbook.yaml:3: accounts: bad"


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - 127.0.0.1
        return str(resp.read().decode())


def test_serve_schedule_on_the_sandbox_runs_the_due_cadence_and_shows_it(
    sandbox: Any, tmp_path: Path
) -> None:
    doc = sandbox.config(f"sqlite:///{tmp_path}/o.db")
    # daily every minute (today's slot of this minute is due at once), the rest off
    doc["calendar"] = {"times": {"daily": "* * * * *"} | dict.fromkeys(OTHERS, "off")}
    config = write(tmp_path / "opsbook.yaml", doc)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"NO_COLOR": "1"}
    with serving_process(
        ["--config", str(config), "serve", "--port", "0", "--schedule"], cwd=tmp_path, env=env
    ) as (proc, base, _):
        deadline, last = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            [daily] = json.loads(get(base + "api/schedule"))["cadences"]
            last = daily["last"]
            if last and last["state"] != "running":
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.5)
        assert last and last["state"] == "done" and last["catch_up"], last
        run_id = last["run_id"]
        runs = {r["run_id"]: r for r in json.loads(get(base + "api/runs?scope=daily"))}
        assert runs[run_id]["status"] == "complete"
        html = get(base + "schedule")
        assert f'href="/runs/{run_id}"' in html and "<code>* * * * *</code>" in html
        assert "The calendar runs in this process" in html
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert "schedule: daily slot" in out and f"done run {run_id}" in out
        assert "running" not in {
            f["state"] for f in fires(doc["storage"]["url"])
        }  # stopped: none left running


def fires(url: str) -> list[dict[str, Any]]:
    from opsbook.store import schedule
    from opsbook.store.db import open_store

    store = open_store(url)
    try:
        return [f.as_dict() for f in schedule.recent(store)]
    finally:
        store.close()


def test_schedule_run_in_the_foreground_records_a_run_that_could_not_run_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/o.db"  # no accounts: every `opsbook run` is exit 2 ("no targets")
    config = write(tmp_path / "opsbook.yaml", {"storage": {"url": url},
                   "calendar": {"times": {"daily": "* * * * *"} | dict.fromkeys(OTHERS, "off")}})  # fmt: skip
    proc = subprocess.Popen(
        [*OPSBOOK, "--config", str(config), "schedule", "run"], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"},
        preexec_fn=die_with_parent,  # noqa: PLW1509 - the child dies with the test
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not [f for f in fires(url) if f["state"] == "failed"]:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.5)
        failed = next(f for f in fires(url) if f["state"] == "failed")  # a minute later there may be two
        assert failed["exit_code"] == 2 and "no targets" in failed["note"]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "Traceback" not in err, err
        assert "opsbook schedule: 1 cadences in UTC" in out and "failed" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_from_a_fresh_clone_serve_sandbox_store_schedule_runs_and_shows_the_due_cadence(
    tmp_path: Path,
) -> None:
    """No opsbook.yaml but a calendar file: each run starts its own sandbox; the store is .opsbook/sandbox.db."""
    config = write(tmp_path / "calendar.yaml", {"calendar": {"times": {"daily": "* * * * *"}
                                                             | dict.fromkeys(OTHERS, "off")}})  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"NO_COLOR": "1"}
    with serving_process(
        ["--config", str(config), "serve", "--port", "0", "--sandbox-store", "--schedule"],
        cwd=tmp_path,
        env=env,
    ) as (proc, base, _):
        try:
            deadline, last = time.monotonic() + 180, None
            while time.monotonic() < deadline:
                last = json.loads(get(base + "api/schedule"))["cadences"][0]["last"]
                if last and last["state"] != "running":
                    break
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(1)
            assert last and last["state"] == "done", last
            assert last["run_id"] in get(base + "runs")
            assert (tmp_path / ".opsbook" / "sandbox.db").exists()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
