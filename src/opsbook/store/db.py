"""Opening the store: SQLite file by default, any SQLAlchemy URL (PostgreSQL) by config; migrated on open."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from opsbook.core.errors import ConfigError, StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
_migrate_lock = threading.Lock()


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def open_store(url: str) -> Store:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"storage.url: not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, future=True, pool_pre_ping=True)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except OperationalError as exc:
        raise ConfigError(f"storage.url: cannot open {parsed.render_as_string()}: {exc.orig}") from None
    return Store(engine)


@contextmanager
def store_errors(doing: str) -> Iterator[None]:
    """Turn a database failure while `doing` something into a one-line StoreError (never a raw driver error)."""
    try:
        yield
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise StoreError(f"store: {doing} failed: {cause[0] if cause else type(exc).__name__}") from exc


def migrate(engine: Engine) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with _migrate_lock, engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def aware(d: datetime) -> datetime:
    """A timestamp read back from the database as UTC-aware (SQLite drops the zone)."""
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def iso(d: datetime) -> str:
    return aware(d).isoformat()


def jsonable(value: Any) -> Any:
    """`value` as plain JSON types (what a JSON column stores), anything else as its str()."""
    return json.loads(json.dumps(value, default=str))
