"""Counts every AWS API call a run makes, per target and (service, operation)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class ApiStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, Counter[str]] = {}

    def record(self, target_key: str, service: str, operation: str) -> None:
        with self._lock:
            self._calls.setdefault(target_key, Counter())[f"{service}:{operation}"] += 1

    def hook(self, target_key: str, service: str) -> Any:
        """A botocore `before-call` handler bound to one target."""

        def _count(model: Any = None, **_: Any) -> None:
            self.record(target_key, service, model.name if model is not None else "?")

        return _count

    def by_target(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {t: dict(sorted(c.items())) for t, c in sorted(self._calls.items())}

    def totals(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        with self._lock:
            for c in self._calls.values():
                out.update(c)
        return dict(sorted(out.items()))
