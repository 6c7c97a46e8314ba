"""The dashboard's Schedule page over a store with recorded slots: each cadence's cron, zone and next start,
its last slot linked to its run, and what a failed slot said, rendered inert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.core.config import Config
from opsbook.store import schedule
from opsbook.store.db import Store, open_store
from opsbook.web.app import create_app
from opsbook.web.settings import WebSettings

EVIL = "<script>alert('cron')</script>"


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'o.db'}")
    yield s
    s.close()


def test_schedule_page_shows_cadences_links_runs_and_escapes(store: Store) -> None:
    slot = datetime(2026, 12, 1, 6, tzinfo=UTC)
    done = schedule.claim(store, cadence="daily", scope="daily", slot_at=slot, at=slot, catch_up=True)
    assert done is not None
    schedule.finish(store, fire_id=done.id, state="done", at=slot, run_id="20261201T060000-abc123", exit_code=0,
                    note="")  # fmt: skip
    failed = schedule.claim(store, cadence="audit", scope="monthly:audit", slot_at=slot, at=slot)
    assert failed is not None
    schedule.finish(store, fire_id=failed.id, state="failed", at=slot, run_id=None, exit_code=2,
                    note=f"exit 2: error: {EVIL}")  # fmt: skip
    cfg = Config.model_validate({"calendar": {"timezone": "Europe/Berlin", "times": {"cost": "off"}}})
    app = create_app(cfg, store, settings=WebSettings(scheduling=True))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        html = client.get("/schedule").text
        doc = client.get("/api/schedule").json()
    assert EVIL not in html and "&lt;script&gt;" in html
    assert 'href="/runs/20261201T060000-abc123"' in html and "(catch-up)" in html
    assert "Europe/Berlin" in html and "The calendar runs in this process" in html
    rows = {r["cadence"]: r for r in doc["cadences"]}
    assert "cost" not in rows and rows["daily"]["next"].endswith("07:00:00+01:00")
    assert rows["audit"]["last"]["state"] == "failed" and rows["security"]["last"] is None
    assert [f["cadence"] for f in doc["recent"]] == ["audit", "daily"]


def test_without_the_scheduler_the_page_says_how_to_start_it(store: Store) -> None:
    app = create_app(Config(), store, settings=WebSettings())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        html = client.get("/schedule").text
    assert "does not run in this process" in html and "No slot has started yet" in html
