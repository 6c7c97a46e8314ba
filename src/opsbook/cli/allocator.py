"""glibc's allocator, set for a threaded run that holds little and parses a lot.

A run's targets are worked in threads. glibc gives threads their own heaps ("arenas", up to eight per
core), and each keeps what it freed: the parsed pages of one target are freed into one arena while the
next target's are allocated in another, so the process's peak grows with the arenas, not with what is
alive. Its mmap threshold also rises after the first large block is freed (up to 32 MB), so the response
bodies (a listing of 2,000 volumes is a few MB of XML) then come from those heaps too, and fragment them.
Two arenas and a fixed 128 KiB threshold (large blocks go straight back to the system when freed) took the
benchmark pack from ~178 to ~155 MB at no cost in CPU. A user's own MALLOC_ARENA_MAX or
MALLOC_MMAP_THRESHOLD_ wins. Elsewhere than glibc (musl, macOS) nothing is changed.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 128 * 1024

SETTINGS = (
    ("MALLOC_ARENA_MAX", M_ARENA_MAX, ARENAS),
    ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, MMAP_THRESHOLD),
)


def glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc (it alone has `gnu_get_libc_version`), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None
    return libc


def tune_malloc(environ: dict[str, str] | None = None) -> list[str]:
    """Set what SETTINGS name that the environment does not; returns the names set. Call it before the
    first thread starts (arenas are made as threads first allocate)."""
    env = os.environ if environ is None else environ
    libc = glibc()
    if libc is None:
        return []
    done = []
    for name, option, value in SETTINGS:
        if name in env:
            continue
        if libc.mallopt(ctypes.c_int(option), ctypes.c_int(value)) == 1:
            done.append(name)
    return done
