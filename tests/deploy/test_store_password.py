"""The manifests' store wiring works on a real PostgreSQL that wants a password: storage.url names no password
(the ConfigMap's opsbook.yaml), the Secret's value arrives as $PGPASSWORD, and libpq (psycopg) sends it."""

from __future__ import annotations

import secrets

import pytest

from opsbook.core.errors import StoreUnavailable
from opsbook.store.db import open_store
from tests.postgres import postgres_server

pytest.importorskip("psycopg", reason="PostgreSQL needs the 'postgres' extra")


def test_password_from_pgpassword_not_from_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    password = secrets.token_hex(16)
    with postgres_server(password=password) as port:
        url = f"postgresql://opsbook@127.0.0.1:{port}/postgres?sslmode=prefer"  # as the ConfigMap's, no password
        monkeypatch.delenv("PGPASSWORD", raising=False)
        monkeypatch.setenv("PGPASSFILE", "/nonexistent")  # no ~/.pgpass either
        with pytest.raises(StoreUnavailable) as refused:
            open_store(url)
        assert "password" in str(refused.value) and password not in str(refused.value)
        monkeypatch.setenv("PGPASSWORD", password)  # what the pod's env gets from the Secret
        store = open_store(url)  # connects and migrates
        try:
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("select current_user").scalar() == "opsbook"
        finally:
            store.close()
