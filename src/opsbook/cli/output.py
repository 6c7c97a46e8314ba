"""The one writer for every output path (`-o`, report directories, exports, plan files).

A regular file (or a path that does not exist yet) is written beside and renamed over, so a reader never
sees half a report. Anything else is written in place: `-` is stdout, and a device or FIFO is opened and
written, never replaced (`-o /dev/null` must leave the device alone). A symlink is followed: its target
is what gets written, the link stays. A directory is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import typer

from opsbook.core.errors import InputError


def is_stdout(path: Path | None) -> bool:
    return path is None or str(path) == "-"


def refuse_directory(value: Path | None) -> Path | None:
    """typer callback for `-o`: a path that cannot be written (a directory, a read-only file or place, a
    parent that is a file) fails at parse time, before any work is done, not after a whole run."""
    if value is None or is_stdout(value):
        return value
    if value.is_dir():
        raise typer.BadParameter(f"{value} is a directory; give a file path (or - for stdout)")
    target = Path(os.path.realpath(value))
    if target.exists() and not target.is_file():  # a device or FIFO is written in place
        if not os.access(target, os.W_OK):
            raise typer.BadParameter(f"{value}: cannot write (permission denied)")
        return value
    _writable_parent(value, target.parent, target.name)
    return value


def _writable_parent(value: Path, parent: Path, name: str = "probe") -> None:
    """The nearest existing ancestor of `parent` is a directory we may create files in (a regular file is
    replaced by writing a new file beside it and renaming it over); in `parent` itself the probe is the
    writer's own temporary file for `name`, so a name too long for the filesystem fails here too."""
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise typer.BadParameter(f"{value}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"{value}: cannot write in {probe}")
    # try it where the file or the missing directories will be made: access() says yes to root even on
    # /proc or a read-only mount, and `/proc/new/r.json` would otherwise fail only after the whole run
    try:
        fd, tmp = _temp_beside(probe / (name if probe == parent else "probe"))
    except OSError as exc:
        raise typer.BadParameter(f"{value}: cannot create files in {probe} ({exc.strerror or exc})") from None
    os.close(fd)
    tmp.unlink(missing_ok=True)


def writable_directory(value: Path | None) -> Path | None:
    """typer callback for `--report-dir`: a path that is not a directory (or where one cannot be made)
    fails at parse time, not after a whole run."""
    if value is not None:
        _writable_parent(value, value)
    return value


def output_option(help: str) -> Any:
    return typer.Option(None, "--output", "-o", help=help, callback=refuse_directory)


def _cannot(path: Path, exc: OSError) -> InputError:
    return InputError(f"{path}: cannot write: {exc.strerror or exc}")


def _temp_beside(target: Path) -> tuple[int, Path]:
    """A new file next to `target` (same filesystem, so the rename is atomic), mode 0666 less umask."""
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def open_output(path: Path | None) -> Iterator[TextIO]:
    if path is None or is_stdout(path):
        yield sys.stdout
        return
    target = Path(os.path.realpath(path))  # a symlink's target is replaced; the link stays
    try:
        st: os.stat_result | None = target.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _cannot(path, exc) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory; give a file path (or - for stdout)")
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:  # a device, FIFO or socket: written directly, never renamed over
            with open(target, "w", encoding="utf-8") as fh:
                yield fh
        except OSError as exc:
            raise _cannot(path, exc) from None
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _temp_beside(target)
    except OSError as exc:
        raise _cannot(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))  # replacing a file keeps its permissions
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _cannot(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def emit_json(data: Any, output: Path | None = None) -> None:
    """Stream JSON out (a report of thousands of findings is never held as one string)."""
    with open_output(output) as fh:
        json.dump(data, fh, indent=2, default=str)
        fh.write("\n")


def write_output(text: str, output: Path | None) -> None:
    with open_output(output) as fh:
        fh.write(text)
