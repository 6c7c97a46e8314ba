"""A store that cannot be opened or written never costs a run its findings: they are all in the result
(and so in the report), the failure is one line in `store_error`, and the run exits 3."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import ConfigError, StoreUnavailable
from opsbook.core.models import Severity, Target
from opsbook.store.db import open_store
from tests.engine.faults import by_target, run

CHECKS = ["ec2.unattached_volumes", "rds.instance_not_available"]


@pytest.fixture(scope="module")
def clean(sandbox, tmp_path_factory):  # type: ignore[no-untyped-def]
    cfg = Config.model_validate(sandbox.config("sqlite:///" + str(tmp_path_factory.mktemp("c") / "a.db")))
    return run(cfg, CHECKS, store_enabled=False)


def with_store(sandbox, url: str) -> Config:  # type: ignore[no-untyped-def]
    return Config.model_validate(sandbox.config(url)).model_copy(update={"source": "(sandbox)"})


def test_corrupt_sqlite_file(sandbox, clean, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "opsbook.db"
    db.write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(StoreUnavailable, match="not a database"):
        open_store(f"sqlite:///{db}")
    result = run(with_store(sandbox, f"sqlite:///{db}"), CHECKS)
    assert by_target(result) == by_target(clean)
    assert result.store_error and "not a database" in result.store_error and "\n" not in result.store_error
    assert result.exit_code(Severity.CRITICAL) == 3
    assert db.read_bytes().startswith(b"this is not a database")  # left as it was for the user to look at


def test_missing_driver_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"storage.url: no driver for 'mysql'.*sqlite"):
        open_store("mysql://u@127.0.0.1/opsbook")


def test_postgres_on_a_closed_port_still_reports(sandbox, clean) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("psycopg", reason="needs the 'postgres' extra")
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run(with_store(sandbox, f"postgresql://opsbook@127.0.0.1:{port}/opsbook"), CHECKS)
    assert by_target(result) == by_target(clean)
    assert result.store_error and "cannot open" in result.store_error and "\n" not in result.store_error
    assert result.exit_code(Severity.CRITICAL) == 3


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (root only): a real 'No space left on device' for the store."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a size-limited tmpfs needs root and mount(8)")
    where = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


class FillDisk:
    """A run observer that fills the disk once the run has started (the store opened and migrated)."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.filled = False

    def started(self, run_id: str, targets: Sequence[Target]) -> None:
        try:
            with (self.where / "filler").open("wb") as fh:
                while True:
                    fh.write(b"\0" * 4096)
                    fh.flush()
        except OSError:
            self.filled = True

    def target_done(self, outcome: object) -> None:
        return


def test_disk_full_during_the_run(sandbox, clean, small_disk: Path) -> None:  # type: ignore[no-untyped-def]
    observer = FillDisk(small_disk)
    result = run(with_store(sandbox, f"sqlite:///{small_disk}/opsbook.db"), CHECKS, observer=observer)
    assert observer.filled
    assert by_target(result) == by_target(clean)
    assert result.store_error and "full" in result.store_error.lower(), result.store_error
    assert result.exit_code(Severity.CRITICAL) == 3
