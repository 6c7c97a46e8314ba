"""Opening the store: SQLite file by default, any SQLAlchemy URL (PostgreSQL) by config; migrated on open."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from opsbook.core.errors import ConfigError, StoreMissing, StoreUnavailable, one_line

MIGRATIONS = Path(__file__).parent / "migrations"
# Revisions are named by their file's number (versions/0008_run_api_faults.py is "0008"), so the newest file
# names the head without importing alembic (11 MB and a second of start-up that a run at head does not need).
HEAD = max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


class MigrationFailed(Exception):
    """alembic could not bring the store to HEAD (its CommandError, without importing alembic here)."""


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


def open_store(url: str, *, create: bool = True) -> Store:
    """The store at `url`, migrated. A URL that cannot work (malformed, a driver that is not installed)
    is ConfigError (exit 2, before any target runs); a store that is there but cannot be used (corrupt
    file, server down, disk full, no permission) is StoreUnavailable (exit 3; a run still reports).
    `create=False` (commands that only read: history, metrics, report): a SQLite file that does not exist is
    StoreUnavailable naming it, and nothing is created."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"storage.url: not a database URL: {one_line(url)!r}") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    shown = parsed.render_as_string(hide_password=True)
    try:
        engine = create_engine(parsed, future=True, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            f"storage.url: no driver for {parsed.drivername!r} ({one_line(exc)}); opsbook's store runs on "
            "sqlite:/// and postgresql:// (pip install 'opsbook[postgres]')"
        ) from None
    except ArgumentError as exc:
        raise ConfigError(f"storage.url: {shown}: {one_line(exc)}") from None
    if parsed.get_backend_name() == "sqlite":
        if not create and not _sqlite_file_exists(parsed.database):
            engine.dispose()
            raise StoreMissing(
                f"storage.url: no store at {parsed.database or ':memory:'} (nothing recorded there yet: "
                "`opsbook run` writes it; check --config / storage.url)"
            )
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        migrate(engine)
    except (DBAPIError, SQLAlchemyError, MigrationFailed, OSError) as exc:
        engine.dispose()
        orig = getattr(exc, "orig", None) or exc
        raise StoreUnavailable(f"storage.url: cannot open {shown}: {one_line(orig)}") from None
    return Store(engine)


def new_sqlite_file(url: str) -> str | None:
    """The file `url` names when it is SQLite and not there yet (open_store would create it), else None."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    new = parsed.get_backend_name() == "sqlite" and not _sqlite_file_exists(parsed.database)
    return parsed.database if new and parsed.database not in (None, "", ":memory:") else None


def _sqlite_file_exists(database: str | None) -> bool:
    """Whether a SQLite URL's database is a file that is there (an in-memory one never is)."""
    return database not in (None, "", ":memory:") and Path(database).is_file()


@contextmanager
def store_errors(doing: str) -> Iterator[None]:
    """Turn a database failure while `doing` something into a one-line StoreUnavailable (never a raw driver error)."""
    try:
        yield
    except SQLAlchemyError as exc:
        cause = one_line(getattr(exc, "orig", None) or exc) or type(exc).__name__
        raise StoreUnavailable(f"store: {doing} failed: {cause}") from exc


def migrate(engine: Engine) -> None:
    """Upgrade the store to HEAD; a store already there (every run but the first after an upgrade) is
    read and left, without loading alembic."""
    with _migrate_lock, engine.begin() as conn:
        if at_head(conn):
            return
        from alembic import command
        from alembic.config import Config as AlembicConfig
        from alembic.util import CommandError

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        try:
            command.upgrade(cfg, "head")
        except CommandError as exc:
            raise MigrationFailed(str(exc)) from exc


def at_head(conn: Connection) -> bool:
    if not inspect(conn).has_table("alembic_version"):
        return False
    return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) == [HEAD]


def aware(d: datetime) -> datetime:
    """A timestamp read back from the database as UTC-aware (SQLite drops the zone)."""
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def iso(d: datetime) -> str:
    return aware(d).isoformat()


def jsonable(value: Any) -> Any:
    """`value` as plain JSON types (what a JSON column stores), anything else as its str().

    Plain values (str-keyed dicts, lists, str, int, float, bool, None: nearly every finding's details) are
    copied as they are; anything else goes through a JSON round trip, whose answer is the same for plain
    values but which cost more CPU than the rest of storing a finding."""
    try:
        return _plain_copy(value)
    except (_NotPlain, RecursionError):  # a cycle: json.dumps says so
        return json.loads(json.dumps(value, default=str))


class _NotPlain(Exception):
    """A value `_plain_copy` leaves to the JSON round trip."""


_SCALARS = (str, int, float, bool, type(None))


def _plain_copy(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:  # exact types: a str or int subclass (an enum) is written as json.dumps would
        return value
    if kind is dict:
        out = {}
        for k, v in value.items():
            if type(k) is not str:  # json.dumps turns 1 into "1" and True into "true"
                raise _NotPlain
            out[k] = _plain_copy(v)
        return out
    if kind is list or kind is tuple:
        return [_plain_copy(v) for v in value]
    raise _NotPlain
