"""The run's activities: begin the run row, run one target (collect, evaluate, record), finish the run.

Each writes the store exactly as the local engine does (the same recorder, maintenance marks included), and
each may run twice (a worker killed after its write but before Temporal heard back): the run row is created
once, a target's write replaces any earlier write of it, finishing is an update.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from temporalio import activity

from opsbook.core.checks import CHECKS
from opsbook.core.config import Config
from opsbook.core.errors import NotFound
from opsbook.core.models import Finding, Target
from opsbook.engine import maintenance
from opsbook.engine.runner import TargetOutcome, checks_of, prepare_checks, run_target, unavailable_outcome
from opsbook.engine.selection import load_builtin
from opsbook.engine.service import make_runners
from opsbook.providers.aws.stats import ApiStats
from opsbook.store import runs
from opsbook.store.db import Store, open_store
from opsbook.store.recorder import StoreRecorder
from opsbook.temporal.run_io import BeginTask, FinishTask, RecordFailed, RunPlan, TargetSummary, TargetTask
from opsbook.temporal.workflow_input import workflow_input

T = TypeVar("T")


class WorkerState:
    """Per worker process: the threads blocking work runs on, the open stores, an optional store URL of the
    worker's own (its opsbook.yaml: a password never travels in workflow history)."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="opsbook-activity")
        self.store_url: str | None = None
        self._stores: dict[str, Store] = {}
        self._lock = threading.Lock()

    def store(self, url: str) -> Store:
        url = self.store_url or url
        with self._lock:
            if url not in self._stores:
                self._stores[url] = open_store(url)
            return self._stores[url]

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for s in self._stores.values():
                s.close()
            self._stores.clear()


STATE = WorkerState()


async def in_thread(fn: Callable[[], T]) -> T:
    """Run blocking `fn` on the worker's threads, heartbeating meanwhile, three times per the activity's
    heartbeat timeout (a dead worker stops heartbeating, so Temporal gives the activity to another)."""
    fut = asyncio.get_running_loop().run_in_executor(STATE.pool, fn)
    timeout = activity.info().heartbeat_timeout
    every = max(0.2, timeout.total_seconds() / 3) if timeout else 10.0
    while True:
        done, _ = await asyncio.wait({fut}, timeout=every)
        if done:
            return fut.result()
        activity.heartbeat()


def say(event: str, what: str) -> None:
    """One line on the worker's stderr per activity start/end (operators and tests follow the work here)."""
    info = activity.info()
    print(
        f"activity {event}: {what} (attempt {info.attempt}, workflow {info.workflow_id})",
        file=sys.stderr,
        flush=True,
    )


def config_of(data: dict[str, Any]) -> Config:
    return Config.model_validate(data).model_copy(update={"source": "(temporal)"})


def record(store: Store, run_id: str, outcome: TargetOutcome) -> None:
    """As the local engine records: findings of targets in a maintenance window marked first."""
    windows = maintenance.active(store)
    recorder = StoreRecorder(store)
    (maintenance.MarkingStore(recorder, windows) if windows else recorder).record(
        run_id=run_id, outcome=outcome
    )


def checks_for(check_ids: list[str], cfg: Config) -> list[Any]:
    load_builtin()
    return prepare_checks(cfg, [CHECKS.get(i) for i in check_ids])


@activity.defn(name="opsbook.begin_run")
async def begin_run(task: BeginTask) -> None:
    def work() -> None:
        store = STATE.store(task.storage_url)
        try:
            runs.get_run(store, run_id=task.run_id, findings=False)
            return  # a retry: the row is there
        except NotFound:
            pass
        targets = [Target.model_validate(t) for t in task.targets]
        runs.begin_run(
            store,
            run_id=task.run_id,
            scope=task.scope,
            started_at=datetime.fromisoformat(task.started_at),
            targets=targets,
        )

    await in_thread(work)


@activity.defn(name="opsbook.run_target")
async def run_one_target(task: TargetTask) -> TargetSummary:
    key = Target.model_validate(task.target).key
    say("start", f"run_target {key}")
    plan = await workflow_input(RunPlan)

    def work() -> TargetSummary:
        cfg = config_of(plan.config)
        checks = checks_for(plan.check_ids, cfg)
        target = Target.model_validate(task.target)
        stats = ApiStats()
        runners = make_runners(cfg, stats, [target])
        try:
            now = datetime.fromisoformat(plan.started_at)
            outcome = run_target(target, checks, cfg, runners[target.kind], now, None, task.primary)
        finally:
            for r in runners.values():
                close = getattr(r, "close", None)
                if close is not None:
                    close()
        outcome.findings.extend(Finding.model_validate(n) for n in task.notes)
        record(STATE.store(cfg.storage.url), task.run_id, outcome)
        return TargetSummary(
            target=target.key,
            error=outcome.error,
            findings=len(outcome.findings),
            seconds=outcome.seconds,
            api_calls=stats.by_target(),
            throttles=stats.throttles_by_target(),
            errors=stats.errors_by_target(),
            collector_calls=stats.by_collector(),
            proposals={f.uid: f.proposal.model_dump(mode="json") for f in outcome.findings if f.proposal},
        )

    summary = await in_thread(work)
    say("done", f"run_target {key}")
    return summary


@activity.defn(name="opsbook.record_failed")
async def record_failed(task: RecordFailed) -> TargetSummary:
    plan = await workflow_input(RunPlan)

    def work() -> TargetSummary:
        cfg = config_of(plan.config)
        target = Target.model_validate(task.target)
        checks = checks_for(plan.check_ids, cfg)
        outcome = unavailable_outcome(
            target, checks_of(checks, target, task.primary), task.message, seconds=0.0
        )
        outcome.findings.extend(Finding.model_validate(n) for n in task.notes)
        record(STATE.store(cfg.storage.url), task.run_id, outcome)
        return TargetSummary(
            target=target.key, error=outcome.error, findings=len(outcome.findings), seconds=0.0
        )

    return await in_thread(work)


@activity.defn(name="opsbook.finish_run")
async def finish_run(task: FinishTask) -> str:
    plan = await workflow_input(RunPlan)

    def work() -> str:
        cfg = config_of(plan.config)
        store = STATE.store(cfg.storage.url)
        notes = [Finding.model_validate(n) for n in task.notes]
        for key in sorted({n.target.key for n in notes}):
            mine = [n for n in notes if n.target.key == key]
            record(store, task.run_id, TargetOutcome(mine[0].target, mine))
        finished = datetime.now(UTC)
        runs.finish_run(
            store,
            run_id=task.run_id,
            status="complete",
            finished_at=finished,
            api_calls=task.api_calls,
            api_faults=task.api_faults,
        )
        return finished.isoformat()

    return await in_thread(work)


ACTIVITIES: list[Callable[..., Any]] = [begin_run, run_one_target, record_failed, finish_run]
