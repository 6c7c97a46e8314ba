"""State the sandbox serves itself (where moto has no such operation), per account, plus call counts.

Time: `later(seconds, fn)` runs `fn` once after a delay (AWS's state transitions: an EKS node group is
UPDATING, then ACTIVE); `delays` holds those delays by name so tests can shorten them (DEFAULT_DELAYS, each
also settable for a whole process by `OPSBOOK_SANDBOX_<NAME>_SECONDS`, e.g.
`OPSBOOK_SANDBOX_EKS_CLUSTER_UPDATE_SECONDS=1`, for a sandbox started by `opsbook sandbox up`);
`cancel_timers()` stops what has not run yet (the sandbox stopping). Events: the AWS side `emit`s what other
parts of the sandbox may follow (`listeners`, e.g. the fake Kubernetes cluster gaining a node group's nodes),
without importing them; a listener that returns True takes the work over (it reports back through the
event), so `emit` tells the AWS side whether anyone did.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opsbook.core.errors import ConfigError

Listener = Callable[[str, dict[str, Any]], bool | None]
DEFAULT_DELAYS = {  # seconds
    "eks.nodegroup_update": 4.0,  # a node group's new sizes, or its new version where no cluster follows
    "eks.cluster_update": 8.0,  # a control plane's new Kubernetes version (15-20 minutes on AWS)
    "eks.addon_update": 3.0,  # an add-on UPDATING or CREATING until ACTIVE
    "eks.nodegroup_drain_timeout": 15.0,  # EKS gives up draining a node after 15 minutes (PodEvictionFailure)
}


def delay_variable(name: str) -> str:
    """The environment variable that sets a delay: eks.cluster_update -> OPSBOOK_SANDBOX_EKS_CLUSTER_UPDATE_SECONDS."""
    return "OPSBOOK_SANDBOX_" + name.upper().replace(".", "_") + "_SECONDS"


def env_seconds(variable: str, default: float) -> float:
    """A number of seconds (0 up to a day) from the environment, else `default`; a bad value is a ConfigError."""
    raw = os.environ.get(variable)
    if raw is None:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigError(f"{variable}={raw!r} is not a number of seconds") from None
    if not 0 <= seconds < 86400:
        raise ConfigError(f"{variable}={raw!r} must be 0 or more seconds, under a day")
    return seconds


def default_delays() -> dict[str, float]:
    return {name: env_seconds(delay_variable(name), seconds) for name, seconds in DEFAULT_DELAYS.items()}


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
    delays: dict[str, float] = field(default_factory=default_delays)
    listeners: list[Listener] = field(default_factory=list)
    timers: list[threading.Timer] = field(default_factory=list)
    # called when the sandbox changes state itself (a timer fired, an event): the read cache drops all
    on_change: Callable[[], None] = field(default=lambda: None)

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

    def emit(self, event: str, detail: dict[str, Any]) -> bool:
        """Tell every listener; True when one of them took the work over."""
        self.on_change()
        taken = [listener(event, detail) for listener in list(self.listeners)]
        return any(taken)

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        def run() -> None:
            self.on_change()
            try:
                fn()
            finally:
                self.on_change()

        timer = threading.Timer(max(seconds, 0.0), run)
        timer.daemon = True
        with self.lock:
            self.timers = [t for t in self.timers if t.is_alive()] + [timer]
        timer.start()

    def cancel_timers(self) -> None:
        with self.lock:
            timers, self.timers = self.timers, []
        for t in timers:
            t.cancel()
