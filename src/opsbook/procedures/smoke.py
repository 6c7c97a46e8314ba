"""The smoke test step: a command the team already has (the guide's `./scripts/smoke-test.sh`), run after a
change to say whether it worked. Its exit code decides; it runs without a shell, from the directory the
plan was made in, with a deadline.

Planners add one with `smoke_item(...)` after the step it verifies (`depends_on` that step); a failing smoke
test fails its step, so the ordered plan stops before the next one. The command is parsed when the plan is
made (`parse_command`), so a typo is refused then, not after half the change is applied.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from opsbook.core.errors import InputError
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem, Resource

TAIL_LINES = 20  # of the command's output, kept in the journal and shown on failure
DEFAULT_TIMEOUT_S = 300.0


class SmokeTestFailed(RuntimeError):
    """The smoke test exited non-zero or ran past its deadline."""


def parse_command(text: str, *, cwd: Path | None = None, option: str = "--smoke-test") -> list[str]:
    """`text` split as a POSIX shell would split words (no pipes, no variables): the argv to run.
    Refuses an empty command, unbalanced quotes and a program that is neither on PATH nor a file."""
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise InputError(f"{option} {text!r}: {exc}") from exc
    if not argv:
        raise InputError(f"{option}: the command is empty")
    program = argv[0]
    if os.sep in program:
        path = Path(program) if Path(program).is_absolute() else (cwd or Path.cwd()) / program
        if not path.is_file():
            raise InputError(f"{option}: {program} does not exist (from {cwd or Path.cwd()})")
        if not os.access(path, os.X_OK):
            raise InputError(f"{option}: {program} is not executable")
    elif shutil.which(program) is None:
        raise InputError(f"{option}: {program!r} is not on PATH")
    return argv


def smoke_item(
    argv: list[str],
    *,
    after: str,
    label: str,
    cwd: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    **where: Any,
) -> PlanItem:
    """The smoke-test step that verifies step `after` (its item id); `label` names what it tests. `where`
    is the verified step's account / account_id / region / cluster, so the engine's account protection
    applies to it too (a step in no account is refused by the engine)."""
    return PlanItem(
        id=f"smoke-test:{after}",
        kind="smoke-test",
        action="run-smoke-test",
        resource=Resource(type="smoke-test", id=label, name=" ".join(argv)),
        reason=f"verify {label}: {' '.join(argv)} must exit 0",
        params={"argv": list(argv), "cwd": str(cwd or Path.cwd()), "timeout_s": timeout_s},
        depends_on=[after],
        **where,
    )


def _tail(text: str) -> list[str]:
    return [line[:300] for line in text.splitlines()[-TAIL_LINES:]]


def run_smoke(params: dict[str, Any]) -> dict[str, Any]:
    """Run the command; return its exit code, time and output tail, or raise SmokeTestFailed."""
    argv, timeout = list(params["argv"]), float(params.get("timeout_s") or DEFAULT_TIMEOUT_S)
    started = time.monotonic()
    try:
        done = subprocess.run(  # noqa: S603 - argv from the approved plan, no shell
            argv,
            cwd=params.get("cwd") or None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.output if isinstance(exc.output, str) else (exc.output or b"").decode(errors="replace")
        last = " | ".join(_tail(out)[-3:]) or "no output"
        raise SmokeTestFailed(f"smoke test ran past its {timeout:.0f} s deadline: {last}") from None
    except OSError as exc:
        raise SmokeTestFailed(f"smoke test could not start: {exc}") from exc
    seconds = round(time.monotonic() - started, 2)
    tail = _tail(done.stdout or "")
    if done.returncode != 0:
        last = " | ".join(tail[-3:]) or "no output"
        raise SmokeTestFailed(f"smoke test exited {done.returncode} after {seconds} s: {last}")
    return {"exit_code": 0, "seconds": seconds, "output_tail": tail}


def recheck_smoke(item: PlanItem, clients: Clients) -> Live:
    return Live("eligible", f"run {' '.join(item.params['argv'])}")


def smoke(item: PlanItem, clients: Clients) -> dict[str, Any]:
    return run_smoke(item.params)


item_kind(
    "smoke-test",
    action="run-smoke-test",
    permissions=("run the smoke-test command on this machine",),
    recheck=recheck_smoke,
    act=smoke,
    changes_nothing=True,
)
