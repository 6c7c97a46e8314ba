"""A thread-safe count of the requests the fake Kubernetes API answered, so a test can prove that a write
was sent exactly once (e.g. across an apply killed and resumed).

Counted per (method, path, status code); paths without their query string. In process it is
`FakeKubeServer.requests`; a sandbox in another process serves it read-only at `GET /_sandbox/requests`
(same bearer token as the API), as `{"requests": [{"method", "path", "code", "count"}, ...]}`.
Bodies are never kept (they may hold secrets).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

DEBUG_PATH = "/_sandbox/requests"


class RequestLog:
    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str, int]] = Counter()
        self._lock = threading.Lock()

    def record(self, method: str, path: str, code: int) -> None:
        with self._lock:
            self._counts[(method, path, code)] += 1

    def count(self, method: str, path: str, code: int | None = None) -> int:
        """How many `method path` requests were answered (with status `code`, when given)."""
        with self._lock:
            return sum(
                n for (m, p, c), n in self._counts.items() if m == method and p == path and code in (None, c)
            )

    def document(self) -> dict[str, Any]:
        with self._lock:
            rows = sorted(self._counts.items())
        return {"requests": [{"method": m, "path": p, "code": c, "count": n} for (m, p, c), n in rows]}

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
