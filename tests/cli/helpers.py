"""Run the real `opsbook` command in a subprocess (sandbox runs need their own process: moto is global)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def opsbook(
    *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = (
        {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"NO_COLOR": "1"} | (env or {})
    )
    return subprocess.run(
        [*OPSBOOK, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env, check=False
    )


def apply_json(config: Path, plan: Path, capsys: Any, *extra: str) -> tuple[int, dict[str, Any]]:
    """`opsbook --config CONFIG apply PLAN --yes -f json ...` in this process: (exit code, its JSON summary)."""
    from opsbook.cli.main import main

    capsys.readouterr()
    rc = main(["--config", str(config), "apply", str(plan), "--yes", "-f", "json", *extra])
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return rc, doc
