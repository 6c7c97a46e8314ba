"""State the sandbox serves itself (where moto has no such operation), per account, plus call counts.

Time: `later(seconds, fn)` runs `fn` once after a delay (AWS's state transitions: an EKS node group is
UPDATING, then ACTIVE); `delays` holds those delays by name so tests can shorten them; `cancel_timers()`
stops what has not run yet (the sandbox stopping). Events: the AWS side `emit`s what other parts of the
sandbox may follow (`listeners`, e.g. the fake Kubernetes cluster gaining a node group's nodes), without
importing them.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]
DEFAULT_DELAYS = {"eks.nodegroup_update": 4.0}  # seconds


@dataclass
class SandboxData:
    # account id -> list of Cost Explorer anomalies in GetAnomalies' shape
    anomalies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # (account id, "service:Operation") pairs answered with AccessDenied
    denied: set[tuple[str, str]] = field(default_factory=set)
    # anything later modules keep: service name -> account id -> data
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delays: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DELAYS))
    listeners: list[Listener] = field(default_factory=list)
    timers: list[threading.Timer] = field(default_factory=list)

    def count(self, account: str, service: str, operation: str) -> None:
        with self.lock:
            self.calls[f"{account}|{service}:{operation}"] += 1

    def call_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.calls)

    def reset_counts(self) -> None:
        with self.lock:
            self.calls.clear()

    def deny(self, account_id: str, action: str) -> None:
        self.denied.add((account_id, action))

    def emit(self, event: str, detail: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener(event, detail)

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        timer = threading.Timer(max(seconds, 0.0), fn)
        timer.daemon = True
        with self.lock:
            self.timers = [t for t in self.timers if t.is_alive()] + [timer]
        timer.start()

    def cancel_timers(self) -> None:
        with self.lock:
            timers, self.timers = self.timers, []
        for t in timers:
            t.cancel()
