"""Background commands the web app starts ("run now", an approved plan's apply): the real `opsbook` CLI in
a child process (no shell), so a run or apply from the web is exactly what the CLI does and a crash of one
never takes the web app down. Each job keeps who started it, its command line and how it ended."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

OPSBOOK = (sys.executable, "-m", "opsbook.cli.main")


class Busy(Exception):
    """A job for the same thing (scope, plan) is starting or running: one line saying which."""


@dataclass
class Job:
    id: int
    kind: str  # run | apply
    subject: str  # the scope, or the plan hash
    who: str
    argv: tuple[str, ...]
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    launched: bool = False  # False while "starting": reserved, the command not yet started
    exit_code: int | None = None
    error: str = ""  # the last line the command wrote to stderr, when it failed
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def state(self) -> str:
        if self.exit_code is None:
            return "running" if self.launched else "starting"
        return {0: "ok", 1: "findings"}.get(self.exit_code, f"exit {self.exit_code}")


class Jobs:
    """The app's background commands. At most one per (kind, subject) is starting or running: `reserve` checks
    and records under one lock, so two requests at once (a double click) cannot both start one."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._jobs: list[Job] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _live(self, kind: str, subject: str) -> Job | None:
        return next(
            (j for j in self._jobs if (j.kind, j.subject) == (kind, subject) and j.exit_code is None), None
        )

    def running(self, kind: str, subject: str) -> Job | None:
        """The job for (kind, subject) that is starting or running, if any."""
        with self._lock:
            return self._live(kind, subject)

    def recent(self, limit: int = 20) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs[-limit:]))

    def reserve(self, kind: str, subject: str, who: str, args: Sequence[str], busy: str) -> Job:
        """Record a "starting" job for `opsbook ARGS`, or raise Busy(`busy`) when one for (kind, subject) is
        starting or running. Then `launch` it, or `abandon` it when what comes first fails."""
        with self._lock:
            if self._live(kind, subject) is not None:
                raise Busy(busy)
            job = Job(next(self._ids), kind, subject, who, (*OPSBOOK, *args))
            self._jobs.append(job)
            del self._jobs[:-100]
        return job

    @contextlib.contextmanager
    def starting(self, kind: str, subject: str, who: str, args: Sequence[str], busy: str) -> Iterator[Job]:
        """`reserve` (Busy when taken), then the caller's preparations and `launch`; a failure in between
        abandons the reservation, so a failed start does not block the next one."""
        job = self.reserve(kind, subject, who, args, busy)
        try:
            yield job
        except BaseException as exc:
            if not job.launched:
                self.abandon(job, f"not started: {type(exc).__name__}: {exc}")
            raise

    def abandon(self, job: Job, why: str) -> None:
        job.error, job.exit_code = why[:300], -1
        job.done.set()

    def launch(self, job: Job, *, scratch: Path | None = None) -> Job:
        """Start a reserved job's command for its user (recorded as the OS user of what it does: LOGNAME);
        `scratch` (the approved plan's copy) is removed when the command has ended."""
        env = {k: v for k, v in os.environ.items() if k != "OPSBOOK_WEB_TOKEN"} | {
            "LOGNAME": job.who,
            "NO_COLOR": "1",
        }
        try:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                job.argv, cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
        except OSError as exc:
            self.abandon(job, f"cannot start: {exc}")
            if scratch is not None:
                scratch.unlink(missing_ok=True)
            raise
        job.launched = True
        threading.Thread(
            target=self._wait, args=(job, proc, scratch), daemon=True, name=f"opsbook-web-job-{job.id}"
        ).start()
        return job

    def start(
        self, kind: str, subject: str, who: str, args: Sequence[str], *, scratch: Path | None = None
    ) -> Job:
        """`reserve` and `launch` at once (Busy when one is starting or running)."""
        job = self.reserve(kind, subject, who, args, busy=f"{kind} {subject} is already starting or running")
        return self.launch(job, scratch=scratch)

    @staticmethod
    def _wait(job: Job, proc: subprocess.Popen[str], scratch: Path | None) -> None:
        _, err = proc.communicate()
        if scratch is not None:
            scratch.unlink(missing_ok=True)
        lines = [line for line in (err or "").splitlines() if line.strip()]
        job.error = lines[-1][:300] if lines and proc.returncode not in (0, 1) else ""
        job.exit_code = proc.returncode
        job.done.set()
