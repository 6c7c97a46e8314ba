"""The library entry point for a run: what the CLI, the scheduler and the web app all call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.models import TargetKind
from opsbook.engine import history
from opsbook.engine.runner import AwsRunner, RunObserver, RunResult, TargetRunner, execute
from opsbook.engine.selection import load_builtin, select
from opsbook.engine.targets import aws_targets
from opsbook.providers.aws.stats import ApiStats
from opsbook.store import runs
from opsbook.store.db import open_store
from opsbook.store.recorder import StoreRecorder


@dataclass
class RunRequest:
    scopes: list[str] = field(default_factory=list)  # e.g. ["daily"], ["daily", "weekly:monday"]
    check_ids: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    concurrency: int | None = None
    label: str | None = None  # the scope name stored with the run (history compares runs of one label)

    @property
    def scope_label(self) -> str:
        if self.label:
            return self.label
        parts = list(self.scopes) + [f"check:{c}" for c in self.check_ids]
        return "+".join(parts) or "all"


def run(
    cfg: Config,
    request: RunRequest,
    *,
    observer: RunObserver | None = None,
    extra_runners: dict[TargetKind, TargetRunner] | None = None,
    store_enabled: bool = True,
) -> RunResult:
    load_builtin()
    specs = select(request.scopes, request.check_ids)
    if not specs:
        raise InputError(f"no checks match {request.scope_label!r} (see `opsbook checks list`)")
    targets = aws_targets(cfg, request.accounts or None, request.regions or None)
    if not targets:
        raise InputError("no targets: add accounts to opsbook.yaml (or use --sandbox)")
    stats = ApiStats()
    store = open_store(cfg.storage.url) if store_enabled else None
    try:
        if store:
            runs.mark_stale_runs_interrupted(store, older_than=datetime.now(UTC) - timedelta(hours=6))
        runners: dict[TargetKind, TargetRunner] = {TargetKind.AWS: AwsRunner(cfg, stats)}
        runners.update(extra_runners or {})
        result = execute(
            cfg,
            request.scope_label,
            specs,
            targets,
            runners=runners,
            stats=stats,
            store=StoreRecorder(store) if store else None,
            observer=observer,
            concurrency=request.concurrency,
        )
        if store:
            history.compare(store, result)
        return result
    finally:
        if store:
            store.close()
