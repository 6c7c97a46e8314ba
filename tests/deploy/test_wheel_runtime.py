"""What the image promises, without Docker (no daemon here): opsbook built as the Dockerfile builds it (a wheel
from pyproject.toml, README.md and src/ only), installed, runs from a read-only install without the privilege to
write to it (as root: with every capability dropped), its working directory and TMPDIR the only writable
places it is given: `opsbook serve` migrates a SQLite store there, serves /healthz and a page.

The dependencies come from the test's own environment (the image installs them from PyPI)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.manifests import ROOT


def _build_tools() -> None:
    import setuptools

    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    if importlib.util.find_spec("wheel") is None and (major, minor) < (70, 1):
        pytest.skip("building a wheel offline needs the `wheel` package (or setuptools >= 70.1)")


@pytest.fixture(scope="module")
def installed() -> Iterator[Path]:
    """opsbook's wheel unpacked into a directory (the image's venv, minus the dependencies); yields it."""
    _build_tools()
    base = Path(tempfile.mkdtemp(prefix="opsbook-wheel-"))  # outside pytest's root-only tmp tree
    try:
        src = base / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):  # the Dockerfile's COPY lines
            shutil.copy(ROOT / name, src / name)
        shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(base / "wheels"), str(src)],
                       check=True, capture_output=True, timeout=180)  # fmt: skip
        (wheel,) = (base / "wheels").glob("opsbook-*.whl")
        target = base / "site"
        with zipfile.ZipFile(wheel) as whl:  # what pip's install does, minus compiling and scripts
            whl.extractall(target)
        for p in [target, *target.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)  # read-only, also for its owner
        yield target
    finally:
        for p in [base, *base.rglob("*")]:
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | 0o200)
        shutil.rmtree(base, ignore_errors=True)


# what the `opsbook` console script pip writes for that entry point runs
SCRIPT = "import sys; from opsbook.cli.main import main; sys.exit(main())"


def _entry_points(installed: Path) -> list[str]:
    (dist,) = installed.glob("opsbook-*.dist-info")
    return [line.strip() for line in (dist / "entry_points.txt").read_text().splitlines()]


def _unprivileged() -> list[str]:
    """A command prefix that takes root's capabilities away (root writes through any mode bits otherwise);
    as any other user, nothing. (Not `nobody`: this interpreter may live where only root can read it.)"""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux) to drop root's capabilities")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--"]


def test_installed_wheel_serves_as_an_unprivileged_user_writing_only_its_data_dir(installed: Path) -> None:
    prefix = _unprivileged()
    work = Path(tempfile.mkdtemp(prefix="opsbook-data-"))
    data, tmp = work / "data", work / "tmp"
    for d in (data, tmp):
        d.mkdir()
    (work / "opsbook.yaml").write_text(
        f"storage:\n  url: sqlite:///{data}/opsbook.db\nreport:\n  dir: {data}/reports\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(installed), "HOME": str(data),
           "LOGNAME": "opsbook", "TMPDIR": str(tmp), "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"}  # fmt: skip
    before = sorted(installed.rglob("*"))
    try:
        where = subprocess.run([*prefix, sys.executable, "-c", "import opsbook; print(opsbook.__file__)"],
                               env=env, cwd=data, capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
        assert where.stdout.strip() == str(installed / "opsbook" / "__init__.py")  # not the checkout
        (entry,) = [line for line in _entry_points(installed) if line.startswith("opsbook =")]
        assert entry == "opsbook = opsbook.cli.main:main"  # the console script the image puts on PATH
        server = subprocess.Popen([*prefix, sys.executable, "-c", SCRIPT, "--config", str(work / "opsbook.yaml"),
                                   "serve", "--port", "0"], env=env, cwd=data, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            assert "http://127.0.0.1:" in line, line + (server.stderr.read() if server.stderr else "")
            url = line[line.index("http://") :].split()[0]
            with urllib.request.urlopen(url + "healthz", timeout=30) as answer:  # noqa: S310 - loopback
                assert json.load(answer) == {"status": "ok"}
            with urllib.request.urlopen(url + "runs", timeout=30) as answer:  # noqa: S310 - templates, static
                assert answer.status == 200 and "opsbook" in answer.read().decode()
            shipped = sorted((installed / "opsbook" / "web" / "static").iterdir())
            assert [p.name for p in shipped] == sorted(
                p.name for p in (ROOT / "src/opsbook/web/static").iterdir()
            )
            for static in shipped:
                with urllib.request.urlopen(f"{url}static/{static.name}", timeout=30) as answer:  # noqa: S310
                    assert answer.read() == static.read_bytes()
        finally:
            server.terminate()
            server.wait(timeout=30)
        assert (data / "opsbook.db").exists()  # migrated from the wheel's alembic scripts
        assert sorted(installed.rglob("*")) == before  # the install was only read
    finally:
        shutil.rmtree(work, ignore_errors=True)
