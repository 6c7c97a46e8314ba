"""Starting a background job is atomic: a second "run now" (a double click) while the first is starting or
running is 409 in one line, and a start that failed half-way does not block the next."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from opsbook.core.config import Config
from opsbook.store.db import open_store
from opsbook.web import jobs, pages_runs
from opsbook.web.app import create_app
from opsbook.web.server import serving
from opsbook.web.settings import WebSettings
from tests.web.conftest import TOKEN

SLEEP = (sys.executable, "-c", "import time; time.sleep(1)")  # a real child process standing in for opsbook


def test_a_double_click_on_run_now_starts_one_job_and_the_second_gets_409(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "OPSBOOK", SLEEP)
    first_in, second_done = threading.Event(), threading.Event()
    real_audit = pages_runs.audit

    def slow_audit(*args: Any, **kwargs: Any) -> None:  # the first request pauses mid-start
        if not first_in.is_set():
            first_in.set()
            second_done.wait(10)
        real_audit(*args, **kwargs)

    monkeypatch.setattr(pages_runs, "audit", slow_audit)
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    config = Config.model_validate({"storage": {"url": f"sqlite:///{tmp_path}/s.db"}})
    app = create_app(config, store, token=TOKEN, settings=WebSettings(workdir=tmp_path))
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    answers: list[int] = []
    try:
        with serving(app) as url:

            def click() -> None:
                r = httpx.post(f"{url}/runs/now", data={"scope": "daily"}, headers=bearer, timeout=20)
                answers.append(r.status_code)

            first = threading.Thread(target=click)
            first.start()
            assert first_in.wait(10)
            second = httpx.post(f"{url}/runs/now", data={"scope": "daily"}, headers=bearer, timeout=20)
            second_done.set()
            first.join(20)
            assert second.status_code == 409 and "starting or still running" in second.text
            assert answers == [303]
            (job,) = app.state.web.jobs.recent()
            assert job.done.wait(20) and job.exit_code == 0
            assert httpx.post(f"{url}/runs/now", data={"scope": "daily"}, headers=bearer).status_code == 303
            app.state.web.jobs.recent()[0].done.wait(20)
    finally:
        store.close()


def test_a_start_that_fails_half_way_frees_its_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "OPSBOOK", SLEEP)
    runner = jobs.Jobs(tmp_path)
    with pytest.raises(RuntimeError), runner.starting("run", "daily", "alice", [], busy="taken") as job:
        assert job.state == "starting"
        with pytest.raises(jobs.Busy, match="taken"):
            runner.reserve("run", "daily", "bob", [], busy="taken")
        raise RuntimeError("the audit row could not be written")
    assert job.state == "exit -1" and "audit row" in job.error and runner.running("run", "daily") is None
    with runner.starting("run", "daily", "bob", [], busy="taken") as again:
        runner.launch(again)
    assert runner.running("run", "daily") is again and again.state == "running"
    assert again.done.wait(20) and again.state == "ok"
