"""`-o PATH`: regular files are replaced atomically; devices, FIFOs and `-` are written in place; a
symlink's target is written and the link stays; a directory is refused with exit 2."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest
import typer

from opsbook.cli.common import emit_json, write_output
from opsbook.cli.main import main
from opsbook.cli.output import open_output, refuse_directory
from opsbook.cli.run_cmd import render
from opsbook.core.errors import InputError
from opsbook.core.models import Severity
from opsbook.reports import model, table
from tests.reports.sample import run_result


class FifoReader(threading.Thread):
    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)  # on failure it may stay blocked in open(): never keep the test alive
        self.path = path
        self.data = b""

    def run(self) -> None:
        with self.path.open("rb") as fh:
            self.data = fh.read()


def test_a_fifo_is_written_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    reader.start()
    emit_json({"findings": [1, 2]}, fifo)
    reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(reader.data) == {"findings": [1, 2]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_the_cli_writes_a_fifo_given_as_o(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    reader.start()
    assert main(["stacks", "describe", "--sandbox", "-f", "json", "-o", str(fifo)]) == 0
    reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and json.loads(reader.data)


def test_a_symlink_stays_and_its_target_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "report.json"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    write_output("new\n", link)
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # replacing a file keeps its permissions
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]  # no temp file left


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "out" / "new.json")
    write_output("x", link)
    assert link.is_symlink() and (tmp_path / "out" / "new.json").read_text() == "x"


def test_a_character_device_is_written_not_replaced(tmp_path: Path) -> None:
    """On a copy of /dev/null made in tmp_path (never the real one)."""
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("this container does not allow mknod")
    emit_json({"findings": list(range(1000))}, null)
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_dash_is_stdout(tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write_output("to stdout\n", Path("-"))
    emit_json([1], Path("-"))
    assert capsys.readouterr().out == "to stdout\n[\n  1\n]\n"
    assert list(tmp_path.iterdir()) == []


def test_a_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError, match="is a directory"), open_output(tmp_path):
        pass
    assert main(["stacks", "describe", "--sandbox", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and err.count("\n") == 1


def test_a_failed_table_report_leaves_the_old_file_whole(tmp_path: Path, monkeypatch) -> None:
    """`run -f table -o FILE` goes through the same writer: written beside, renamed only when complete."""
    out = tmp_path / "report.txt"
    out.write_text("the previous report\n")
    report = model.build(run_result(), Severity.HIGH)

    def broken(report: dict) -> str:
        raise KeyError("summary")

    monkeypatch.setattr(table, "verdict", broken)  # rendering stops after the tables were written
    with pytest.raises(KeyError):
        render(report, "table", out, show_passing=False, stats=False)
    assert out.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


@pytest.mark.parametrize(
    ("option", "where"), [("-o", "/proc/opsbook-new/r.json"), ("--report-dir", "/proc/opsbook-new")]
)
def test_a_missing_directory_that_cannot_be_made_fails_before_the_run(
    option: str, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The nearest existing ancestor is where the directories would be made: it is tried at parse time,
    so `/proc/new/r.json` is a one-line usage error, not a failure after the whole run."""
    config = tmp_path / "never-read.yaml"  # the option fails first: no config, no target
    assert main(["--config", str(config), "run", "daily", option, where]) == 2
    err = capsys.readouterr().err
    assert "cannot create files in /proc" in err and len(err.strip().splitlines()) == 1
    assert not Path(where).exists()


def test_a_missing_directory_under_a_writable_one_is_made_on_write(tmp_path: Path) -> None:
    """The probe leaves nothing behind; the writer makes the directories."""
    out = tmp_path / "new" / "deeper" / "r.json"
    assert refuse_directory(out) == out and sorted(p.name for p in tmp_path.iterdir()) == []
    emit_json({"ok": 1}, out)
    assert json.loads(out.read_text()) == {"ok": 1}


def test_a_file_name_too_long_fails_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The probe is the writer's own temporary name: `-o` with a 250-character name (its temporary file is
    longer than the filesystem allows) was a write error after the whole run."""
    out = tmp_path / ("r" * 250 + ".json")
    with pytest.raises(typer.BadParameter, match="cannot create files in"):
        refuse_directory(out)
    assert main(["--config", str(tmp_path / "never-read.yaml"), "run", "daily", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot create files in" in err and len(err.strip().splitlines()) == 1
    assert refuse_directory(tmp_path / "r.json") and list(tmp_path.iterdir()) == []
