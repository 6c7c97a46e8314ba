"""The run's store writes, kept from ever costing the run its findings.

A run records each finished target as it goes (so a crash loses only the targets in flight). If the store
fails (disk full, a corrupt file, the database gone), the first failure is kept as one line, no further
write is tried, and the run goes on: its report is written from memory and the run exits 3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from opsbook.core.errors import one_line
from opsbook.core.models import Target

T = TypeVar("T")


class GuardedStore:
    """Wraps a RunStore (engine/runner.py); `error` is the first failure, None while all is well."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.error: str | None = None

    def attempt(self, what: str, fn: Callable[[], T]) -> T | None:
        """Run `fn` unless the store already failed; a failure is remembered, never raised."""
        if self.error is not None:
            return None
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - any store failure; the findings are in memory
            self.error = one_line(f"run history not saved ({what}): {describe(exc)}")
            return None

    def begin(self, *, run_id: str, scope: str, started_at: datetime, targets: Sequence[Target]) -> None:
        self.attempt(
            "start of run",
            lambda: self.inner.begin(run_id=run_id, scope=scope, started_at=started_at, targets=targets),
        )

    def record(self, *, run_id: str, outcome: Any) -> None:
        self.attempt(
            f"target {outcome.target.key}", lambda: self.inner.record(run_id=run_id, outcome=outcome)
        )

    def finish(self, **kw: Any) -> None:
        self.attempt("end of run", lambda: self.inner.finish(**kw))


def describe(exc: BaseException) -> str:
    """A database error's own words (SQLAlchemy wraps the driver's; `orig` is the driver's message)."""
    orig = getattr(exc, "orig", None)
    return f"{type(exc).__name__}: {orig if orig is not None else exc}"
