"""Run the real `opsbook` command in a subprocess (sandbox runs need their own process: moto is global)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

OPSBOOK = [sys.executable, "-m", "opsbook.cli.main"]


def die_with_parent() -> None:
    """`preexec_fn` for long-lived children (`opsbook sandbox up`, background applies): the kernel kills the
    child when the test process dies, so a test run killed by a timeout leaves no sandbox running (Linux
    prctl PR_SET_PDEATHSIG; elsewhere nothing)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


@contextmanager
def serving_process(
    args: Sequence[str], *, cwd: Path, env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """`opsbook ARGS` that serves on a free loopback port (`serve --port 0 ...`): yields the process, its base URL
    and the first line it printed; killed afterwards unless the test stopped it."""
    proc = subprocess.Popen(
        [*OPSBOOK, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=die_with_parent,  # noqa: PLW1509 - the child dies with the test
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line + (proc.stderr.read() if proc.stderr and proc.poll() is not None else "")
        yield proc, found.group(0), line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def opsbook(
    *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = (
        {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"NO_COLOR": "1"} | (env or {})
    )
    return subprocess.run(
        [*OPSBOOK, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env, check=False
    )


@contextmanager
def sandbox_up(cwd: Path, config: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """`opsbook sandbox up --config-out CONFIG ARGS` in `cwd` (no AWS_ variables), once it has written its
    config; stopped (`stop`) when the block ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    up = subprocess.Popen([*OPSBOOK, "sandbox", "up", "--config-out", str(config), *args], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          preexec_fn=die_with_parent)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not config.exists():
            assert up.poll() is None, up.stderr.read() if up.stderr else ""
            assert time.monotonic() < deadline, "sandbox up did not write its config"
            time.sleep(0.2)
        yield up
    finally:
        if up.returncode is None:
            stop(up)


def stop(up: subprocess.Popen[str]) -> str:
    """Ctrl-C to `sandbox up`: what it printed."""
    up.send_signal(signal.SIGINT)
    out, _ = up.communicate(timeout=30)
    return out


def apply_json(config: Path, plan: Path, capsys: Any, *extra: str) -> tuple[int, dict[str, Any]]:
    """`opsbook --config CONFIG apply PLAN --yes -f json ...` in this process: (exit code, its JSON summary)."""
    from opsbook.cli.main import main

    capsys.readouterr()
    rc = main(["--config", str(config), "apply", str(plan), "--yes", "-f", "json", *extra])
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return rc, doc
