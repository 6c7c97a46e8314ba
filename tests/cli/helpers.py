"""Run the real `opsbook` command in a subprocess (sandbox runs need their own process: moto is global)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

OPSBOOK = [sys.executable, "-m", "opsbook.cli.main"]


def opsbook(
    *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = (
        {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"NO_COLOR": "1"} | (env or {})
    )
    return subprocess.run(
        [*OPSBOOK, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env, check=False
    )
