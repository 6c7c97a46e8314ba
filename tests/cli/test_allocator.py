"""cli/allocator.py: the `opsbook` command caps glibc's arenas and fixes its mmap threshold."""

from __future__ import annotations

import subprocess
import sys

import pytest

from opsbook.cli.allocator import glibc, tune_malloc

pytestmark = pytest.mark.skipif(glibc() is None, reason="glibc's mallopt only (this C library is not glibc)")

# six threads alive at once, each allocating (glibc gives each new thread its own arena, up to 8 per core),
# then glibc's own statistics, one "Arena N:" line per arena, on stderr
THREADS = """
import ctypes, sys, threading
if sys.argv[1] == "tuned":
    from opsbook.cli.allocator import tune_malloc
    tune_malloc({})
together = threading.Barrier(6)
def work():
    keep = [bytes(1000 + i % 7) for i in range(2000)]
    together.wait()
    del keep
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()
"""


def arenas(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", THREADS, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return sum(1 for line in out.stderr.splitlines() if line.startswith("Arena "))


def test_threads_share_two_arenas_once_tuned() -> None:
    assert arenas("plain") > 2  # glibc's default: an arena per thread here
    assert arenas("tuned") <= 2


def test_a_users_own_setting_wins() -> None:
    assert tune_malloc({"MALLOC_ARENA_MAX": "4", "MALLOC_MMAP_THRESHOLD_": "65536"}) == []
    assert tune_malloc({"MALLOC_ARENA_MAX": "4"}) == ["MALLOC_MMAP_THRESHOLD_"]


def test_the_command_tunes_the_allocator_and_an_in_process_call_does_not() -> None:
    probe = (
        "import sys; import opsbook.cli.allocator as a; calls = [];"
        "a.tune_malloc = lambda: calls.append(1) or [];"
        "from opsbook.cli.main import main; main(['--version']); print(len(calls));"
        "sys.argv = ['opsbook', '--version']; main(); print(len(calls))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    counts = [line for line in out.stdout.split() if line.isdigit()]  # beside `opsbook X.Y.Z` twice
    assert counts == ["0", "1"], out.stdout + out.stderr
