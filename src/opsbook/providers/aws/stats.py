"""Counts every AWS API call a run makes, per target and (service, operation), and per collector."""

from __future__ import annotations

import threading
from collections import Counter
from contextvars import ContextVar
from typing import Any

# The inventory key being collected on this thread (set by the engine around each collector), so each
# call is also counted against the collector that made it: the permissions meta-test reads these.
COLLECTING: ContextVar[str | None] = ContextVar("opsbook_collecting", default=None)


class ApiStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, Counter[str]] = {}
        self._collectors: dict[str, Counter[str]] = {}

    def record(self, target_key: str, service: str, operation: str) -> None:
        collecting = COLLECTING.get()
        with self._lock:
            self._calls.setdefault(target_key, Counter())[f"{service}:{operation}"] += 1
            if collecting is not None:
                self._collectors.setdefault(collecting, Counter())[f"{service}:{operation}"] += 1

    def hook(self, target_key: str, service: str) -> Any:
        """A botocore `before-call` handler bound to one target."""

        def _count(model: Any = None, **_: Any) -> None:
            self.record(target_key, service, model.name if model is not None else "?")

        return _count

    def by_target(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {t: dict(sorted(c.items())) for t, c in sorted(self._calls.items())}

    def by_collector(self) -> dict[str, dict[str, int]]:
        """inventory key -> the calls its own collector made (not those of the keys it read)."""
        with self._lock:
            return {k: dict(sorted(c.items())) for k, c in sorted(self._collectors.items())}

    def totals(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        with self._lock:
            for c in self._calls.values():
                out.update(c)
        return dict(sorted(out.items()))
