"""Opening a store that is already at the newest migration reads its version and does not load alembic."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from opsbook.store import db


def test_head_is_alembics_head() -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    assert db.HEAD == ScriptDirectory.from_config(cfg).get_current_head()


def test_store_at_head_opens_without_alembic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    db.open_store(url).close()  # created and migrated by alembic
    monkeypatch.setitem(sys.modules, "alembic", None)  # any import of alembic now fails
    store = db.open_store(url)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == db.HEAD
    finally:
        store.close()


def test_store_behind_head_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    db.open_store(url).close()
    old = db.open_store(url)
    with old.engine.begin() as conn:  # as the previous release left it: before 0008 added runs.api_faults
        conn.execute(text("ALTER TABLE runs DROP COLUMN api_faults"))
        conn.execute(text("DROP TABLE schedule_fires"))  # and 0009 the schedule's record
        conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    old.close()
    store = db.open_store(url)
    try:
        with store.engine.connect() as conn:
            assert db.at_head(conn)
            assert "api_faults" in {c["name"] for c in inspect(conn).get_columns("runs")}
            assert inspect(conn).has_table("schedule_fires")
    finally:
        store.close()
