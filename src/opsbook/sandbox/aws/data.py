"""State the sandbox serves itself (where moto has no such operation), per account, plus call counts."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


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
