"""The engine's RunStore, backed by the store's service functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from opsbook.core.models import Target
from opsbook.store import runs
from opsbook.store.db import Store


class StoreRecorder:
    def __init__(self, store: Store) -> None:
        self.store = store

    def begin(self, *, run_id: str, scope: str, started_at: datetime, targets: Sequence[Target]) -> None:
        runs.begin_run(self.store, run_id=run_id, scope=scope, started_at=started_at, targets=targets)

    def record(self, *, run_id: str, outcome: Any) -> None:
        runs.record_target(
            self.store,
            run_id=run_id,
            target=outcome.target,
            findings=outcome.findings,
            error=outcome.error,
            seconds=outcome.seconds,
        )

    def finish(self, **kw: Any) -> None:
        """run_id, status, finished_at, api_calls, api_faults: as `runs.finish_run` takes them."""
        runs.finish_run(self.store, **kw)
