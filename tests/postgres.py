"""A throwaway PostgreSQL server on 127.0.0.1 for store tests (skipped where its binaries are absent).

`postgres_server()` starts one (as the unprivileged `nobody` when run as root; optionally requiring a
password); `postgres_url` is one per session; `store_url` gives a test both backends. Registered as fixtures by tests/conftest.py.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server(password: str | None = None) -> Iterator[int]:
    """A PostgreSQL server on 127.0.0.1 (superuser `opsbook`, database `postgres`); yields its port.
    `password`: clients must give it (scram-sha-256) instead of being trusted."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    base = Path(tempfile.mkdtemp(prefix="opsbook-pg-"))  # outside pytest's root-only tmp tree
    data = base / "data"
    user = {}
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use an unprivileged account
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root and no 'nobody' user to run PostgreSQL as")
        os.chown(base, nobody.pw_uid, nobody.pw_gid)
        user = {"user": nobody.pw_uid, "group": nobody.pw_gid}
    auth = ["-A", "trust"]
    if password is not None:
        pwfile = base / "pwfile"
        pwfile.write_text(password + "\n")
        if user:
            os.chown(pwfile, user["user"], user["group"])
        auth = ["-A", "scram-sha-256", "--pwfile", str(pwfile)]
    port = free_port()
    subprocess.run([initdb, "-D", str(data), "-U", "opsbook", *auth], check=True, capture_output=True, **user)  # type: ignore[call-overload]
    subprocess.run(
        [
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(base / "log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {base}",
            "start",
        ],
        check=True,
        capture_output=True,
        **user,  # type: ignore[call-overload]
    )
    try:
        yield port
    finally:
        subprocess.run(
            [pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True, check=False, **user
        )  # type: ignore[call-overload]
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as port:
        yield f"postgresql://opsbook@127.0.0.1:{port}/postgres"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL for each backend: a fresh SQLite file, or the session's PostgreSQL (shared: tests keep
    their rows apart by what they write, e.g. unique plan hashes)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/o.db"
    return str(request.getfixturevalue("postgres_url"))
