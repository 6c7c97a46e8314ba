"""How the schedule starts a run: the real `opsbook run SCOPE` in a child process (no shell), exactly as a
person or a CronJob would, so a scheduled run is stored, compared and notified like any other, and a run that
crashes never takes the scheduler (or the web app beside it) down. Its JSON report, written to a scratch
file, gives the run's id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from opsbook.core.errors import one_line
from opsbook.engine.scheduler import Outcome
from opsbook.engine.timetable import Cadence

OPSBOOK = (sys.executable, "-m", "opsbook.cli.main")
RUN_TIMEOUT_S = 6 * 3600  # as long as a run may take before the store calls it interrupted (service.py)
RAN = {0: "", 1: "findings at or above --fail-on", 3: "some targets or checks could not be read"}


class RunLauncher:
    """`opsbook [--config FILE] run SCOPE --format json --output SCRATCH [--sandbox]` in `workdir`."""

    def __init__(self, config_path: Path | None, *, sandbox: bool, workdir: Path) -> None:
        self.config_path = config_path
        self.sandbox = sandbox
        self.workdir = workdir
        self._children: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def argv(self, cadence: Cadence, report: Path) -> list[str]:
        config = ["--config", str(self.config_path)] if self.config_path else []
        extra = ["--sandbox"] if self.sandbox else []
        return [*OPSBOOK, *config, "run", cadence.scope, "--format", "json", "--output", str(report), *extra]

    def __call__(self, cadence: Cadence) -> Outcome:
        with tempfile.TemporaryDirectory(prefix="opsbook-schedule-") as scratch:
            report = Path(scratch) / "report.json"
            env = {k: v for k, v in os.environ.items() if k != "OPSBOOK_WEB_TOKEN"} | {"NO_COLOR": "1"}
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                self.argv(cadence, report), cwd=self.workdir, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            with self._lock:
                self._children.add(proc)
            try:
                _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
                return Outcome("failed", exit_code=proc.returncode, note=f"ran longer than {RUN_TIMEOUT_S} s")
            finally:
                with self._lock:
                    self._children.discard(proc)
            return outcome(proc.returncode, err or "", report)

    def stop_all(self) -> None:
        """SIGTERM to the runs going now (the scheduler is stopping; their slots end interrupted)."""
        with self._lock:
            children = list(self._children)
        for proc in children:
            if proc.poll() is None:
                proc.terminate()


def outcome(code: int, stderr: str, report: Path) -> Outcome:
    """A finished `opsbook run`: done when it ran (exit 0, 1, 3: the run is stored), else failed with its
    last error line."""
    run_id = None
    try:
        run_id = json.loads(report.read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError, AttributeError):
        pass
    if code in RAN:
        return Outcome("done", run_id, code, RAN[code])
    lines = [line for line in stderr.splitlines() if line.strip()]
    said = one_line(lines[-1], 300) if lines else "no error message"
    return Outcome("failed", run_id, code, f"exit {code}: {said}")
