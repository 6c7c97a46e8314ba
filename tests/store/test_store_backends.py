"""The store on SQLite and on a throwaway PostgreSQL 15 server on 127.0.0.1 (skipped where absent).

`store_url` (tests/conftest.py) gives each test both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsbook.core.models import Finding, Resource, Severity, Status, Target, TargetKind
from opsbook.store import runs
from opsbook.store.db import open_store

T = Target(kind=TargetKind.AWS, account="dev", region="us-east-1")


def finding(rid: str, status: Status) -> Finding:
    return Finding(
        check_id="rds.instance_not_available",
        status=status,
        severity=Severity.HIGH,
        target=T,
        resource=Resource(id=rid),
        message=f"{rid} {status.value}",
        details={"n": 1},
    )


def test_runs_findings_history_roundtrip(store_url: str) -> None:
    url = store_url
    store = open_store(url)
    try:
        t0 = datetime(2026, 11, 27, 8, tzinfo=UTC)
        ids = []
        for i, fails in enumerate((["a", "b"], ["b", "c"])):
            rid = f"run-{url[:5]}-{i}-{datetime.now(UTC).timestamp()}"
            ids.append(rid)
            runs.begin_run(store, run_id=rid, scope="daily", started_at=t0 + timedelta(days=i), targets=[T])
            fs = [finding(x, Status.FAIL) for x in fails] + [finding("ok", Status.PASS)]
            runs.record_target(store, run_id=rid, target=T, findings=fs, error=None, seconds=0.5)
            runs.finish_run(
                store,
                run_id=rid,
                status="complete",
                finished_at=t0 + timedelta(days=i, minutes=1),
                api_calls={T.key: {"rds:DescribeDBInstances": 1}},
            )
        assert runs.previous_run_id(store, scope="daily", before=ids[1]) == ids[0]
        before, after = runs.failing(store, run_id=ids[0]), runs.failing(store, run_id=ids[1])
        assert len(before) == 2 and len(after) == 2 and len(before.keys() & after.keys()) == 1
        got = runs.get_run(store, run_id=ids[1])
        assert got["status"] == "complete" and len(got["findings"]) == 3
        assert got["api_calls"][T.key]["rds:DescribeDBInstances"] == 1
        assert got["findings"][0]["target"]["account"] == "dev"
        listed = runs.list_runs(store, scope="daily")
        assert listed[0]["run_id"] == ids[1] and listed[0]["counts"] == {"fail": 2, "pass": 1}
        # a run left 'running' by a crash is marked interrupted
        runs.begin_run(store, run_id=ids[1] + "-x", scope="daily", started_at=t0, targets=[T])
        assert runs.mark_stale_runs_interrupted(store, older_than=t0 + timedelta(seconds=1)) == 1
        assert runs.get_run(store, run_id=ids[1] + "-x")["status"] == "interrupted"
    finally:
        store.close()


def test_reopening_is_idempotent_and_bad_url_is_config_error(tmp_path: Path) -> None:
    from opsbook.core.errors import ConfigError

    url = f"sqlite:///{tmp_path}/o.db"
    store = open_store(url)
    runs.begin_run(
        store, run_id="kept", scope="daily", started_at=datetime(2026, 11, 27, tzinfo=UTC), targets=[T]
    )
    store.close()
    store = open_store(url)  # migrating again keeps what is there
    assert runs.get_run(store, run_id="kept")["scope"] == "daily"
    store.close()
    with pytest.raises(ConfigError, match="storage.url"):
        open_store("not a url")


def test_a_run_of_many_named_checks_is_stored_and_found_by_its_label(store_url: str) -> None:
    from opsbook.engine.service import RunRequest
    from tests.core.test_scope_label import PACK

    label = RunRequest(check_ids=PACK, accounts=["dev"]).scope_label
    assert len(label) > 80  # past the column's old width, String(80)
    store = open_store(store_url)
    try:
        t0 = datetime(2026, 11, 27, 8, tzinfo=UTC)
        ids = [f"run-wide-{store_url[:5]}-{i}-{datetime.now(UTC).timestamp()}" for i in range(2)]
        for i, rid in enumerate(ids):
            runs.begin_run(store, run_id=rid, scope=label, started_at=t0 + timedelta(days=i), targets=[T])
            runs.finish_run(
                store,
                run_id=rid,
                status="complete",
                finished_at=t0 + timedelta(days=i, minutes=1),
                api_calls={},
            )
        assert runs.previous_run_id(store, scope=label, before=ids[1]) == ids[0]
        assert [r["run_id"] for r in runs.list_runs(store, scope=label)][:2] == ids[::-1]
    finally:
        store.close()


def test_postgresql_store_from_before_0010_is_widened(postgres_url: str) -> None:
    import uuid

    from sqlalchemy import create_engine, inspect, text

    from opsbook.store import db

    name = f"before_0010_{uuid.uuid4().hex[:8]}"  # a database of its own: the session's server is shared
    admin = create_engine(
        postgres_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    store = open_store(url)
    with store.engine.begin() as conn:  # as 0009 left it: scope VARCHAR(80)
        for table in ("runs", "schedule_fires"):
            conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN scope TYPE VARCHAR(80)"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    store.close()
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            assert db.at_head(conn)
            for table in ("runs", "schedule_fires"):
                scope = next(c for c in inspect(conn).get_columns(table) if c["name"] == "scope")
                assert scope["type"].length == 1000, (table, scope)
    finally:
        store.close()
