"""`opsbook worker` subprocesses whose stderr a test follows line by line (and kills when it wants)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from tests.cli.helpers import OPSBOOK, die_with_parent


class Followed:
    """`opsbook --config CONFIG ARGS` in the background; its stderr followed line by line, stdout kept."""

    def __init__(self, config: Path, cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPSBOOK_"))} | {
            "NO_COLOR": "1"
        }
        self.proc = subprocess.Popen([*OPSBOOK, "--config", str(config), *args], cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=base | (env or {}), stdin=subprocess.DEVNULL,
                                     preexec_fn=die_with_parent)  # fmt: skip
        self.stdout: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        self.stdout.append(self.proc.stdout.read())

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 90) -> str:
        """The first line holding `text` (waits for it; fails if the worker exits or time runs out)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                assert left > 0 and self.proc.poll() is None, (
                    f"worker never said {text!r}: {self.lines[-20:]}"
                )
                self._changed.wait(min(left, 1.0))

    def said(self, text: str) -> list[str]:
        with self._changed:
            return [line for line in self.lines if text in line]

    def finish(self, timeout: float = 240) -> tuple[int, str]:
        """(exit code, stdout) once the process ends by itself."""
        code = self.proc.wait(timeout=timeout)
        deadline = time.monotonic() + 10
        while not self.stdout and time.monotonic() < deadline:
            time.sleep(0.05)
        return code, "".join(self.stdout)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


class WorkerProc(Followed):
    """`opsbook --config CONFIG worker ARGS`."""

    def __init__(self, config: Path, cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
        super().__init__(config, cwd, "worker", *args, env=env)
