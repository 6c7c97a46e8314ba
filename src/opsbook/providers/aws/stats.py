"""Counts every AWS and Kubernetes API call a run makes, per target and `service:Operation`, and per
collector; and, the same way, the throttled answers (each attempt botocore retried or gave up on because the
service said slow down) and the calls that ended in an error (an error answer after any retries, or none)."""

from __future__ import annotations

import threading
from collections import Counter
from contextvars import ContextVar
from typing import Any

from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

# The inventory key being collected on this thread (set by the engine around each collector), so each
# call is also counted against the collector that made it: the permissions meta-test reads these.
COLLECTING: ContextVar[str | None] = ContextVar("opsbook_collecting", default=None)

_THROTTLED = ThrottledRetryableChecker()  # botocore's own list of throttling error codes
THROTTLED_STATUS = 429


class ApiStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, Counter[str]] = {}
        self._collectors: dict[str, Counter[str]] = {}
        self._throttles: dict[str, Counter[str]] = {}
        self._errors: dict[str, Counter[str]] = {}

    def record(self, target_key: str, service: str, operation: str) -> None:
        collecting = COLLECTING.get()
        with self._lock:
            self._calls.setdefault(target_key, Counter())[f"{service}:{operation}"] += 1
            if collecting is not None:
                self._collectors.setdefault(collecting, Counter())[f"{service}:{operation}"] += 1

    def record_answer(
        self, target_key: str, service: str, operation: str, *, throttled: bool = False, failed: bool = False
    ) -> None:
        """One answer (or its absence) to a call already counted by `record`: `throttled` for each
        throttled attempt, `failed` once when the call ends in an error."""
        op = f"{service}:{operation}"
        with self._lock:
            if throttled:
                self._throttles.setdefault(target_key, Counter())[op] += 1
            if failed:
                self._errors.setdefault(target_key, Counter())[op] += 1

    def attach(self, client: Any, target_key: str, service: str) -> None:
        """Count a botocore client's calls, throttled attempts and failed calls under one target."""
        events = client.meta.events

        def _call(model: Any = None, **_: Any) -> None:
            self.record(target_key, service, model.name if model is not None else "?")

        def _attempt(
            event_name: str = "", parsed_response: Any = None, response_dict: Any = None, **_: Any
        ) -> None:
            status = (response_dict or {}).get("status_code")
            if status == THROTTLED_STATUS or _THROTTLED.is_retryable(
                RetryContext(attempt_number=1, parsed_response=parsed_response)
            ):
                self.record_answer(target_key, service, event_name.rsplit(".", 1)[-1], throttled=True)

        def _answered(http_response: Any = None, model: Any = None, **_: Any) -> None:
            if http_response is not None and http_response.status_code >= 300:
                self.record_answer(target_key, service, model.name if model is not None else "?", failed=True)

        def _no_answer(event_name: str = "", **_: Any) -> None:
            self.record_answer(target_key, service, event_name.rsplit(".", 1)[-1], failed=True)

        events.register("before-call", _call)
        events.register("response-received", _attempt)
        events.register("after-call", _answered)
        events.register("after-call-error", _no_answer)

    @staticmethod
    def _sorted(counts: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
        return {k: dict(sorted(c.items())) for k, c in sorted(counts.items())}

    def by_target(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return self._sorted(self._calls)

    def throttles_by_target(self) -> dict[str, dict[str, int]]:
        """target -> `service:Operation` -> throttled attempts (only those with any)."""
        with self._lock:
            return self._sorted(self._throttles)

    def errors_by_target(self) -> dict[str, dict[str, int]]:
        """target -> `service:Operation` -> calls that ended in an error (only those with any)."""
        with self._lock:
            return self._sorted(self._errors)

    def by_collector(self) -> dict[str, dict[str, int]]:
        """inventory key -> the calls its own collector made (not those of the keys it read)."""
        with self._lock:
            return self._sorted(self._collectors)

    def totals(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        with self._lock:
            for c in self._calls.values():
                out.update(c)
        return dict(sorted(out.items()))
