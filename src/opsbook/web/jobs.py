"""Background commands the web app starts ("run now", an approved plan's apply): the real `opsbook` CLI in
a child process (no shell), so a run or apply from the web is exactly what the CLI does and a crash of one
never takes the web app down. Each job keeps who started it, its command line and how it ended."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

OPSBOOK = (sys.executable, "-m", "opsbook.cli.main")


@dataclass
class Job:
    id: int
    kind: str  # run | apply
    subject: str  # the scope, or the plan hash
    who: str
    argv: tuple[str, ...]
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    exit_code: int | None = None
    error: str = ""  # the last line the command wrote to stderr, when it failed
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def state(self) -> str:
        if self.exit_code is None:
            return "running"
        return {0: "ok", 1: "findings"}.get(self.exit_code, f"exit {self.exit_code}")


class Jobs:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._jobs: list[Job] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def running(self, kind: str, subject: str) -> Job | None:
        with self._lock:
            return next(
                (j for j in self._jobs if (j.kind, j.subject) == (kind, subject) and j.exit_code is None),
                None,
            )

    def recent(self, limit: int = 20) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs[-limit:]))

    def start(
        self, kind: str, subject: str, who: str, args: Sequence[str], *, scratch: Path | None = None
    ) -> Job:
        """Start `opsbook ARGS` for `who` (recorded as the OS user of what it does: LOGNAME); `scratch` (the
        approved plan's copy) is removed when the command has ended."""
        argv = (*OPSBOOK, *args)
        env = {k: v for k, v in os.environ.items() if k != "OPSBOOK_WEB_TOKEN"} | {
            "LOGNAME": who,
            "NO_COLOR": "1",
        }
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv, cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        with self._lock:
            job = Job(next(self._ids), kind, subject, who, argv)
            self._jobs.append(job)
            del self._jobs[:-100]
        threading.Thread(
            target=self._wait, args=(job, proc, scratch), daemon=True, name=f"opsbook-web-job-{job.id}"
        ).start()
        return job

    @staticmethod
    def _wait(job: Job, proc: subprocess.Popen[str], scratch: Path | None) -> None:
        _, err = proc.communicate()
        if scratch is not None:
            scratch.unlink(missing_ok=True)
        lines = [line for line in (err or "").splitlines() if line.strip()]
        job.error = lines[-1][:300] if lines and proc.returncode not in (0, 1) else ""
        job.exit_code = proc.returncode
        job.done.set()
