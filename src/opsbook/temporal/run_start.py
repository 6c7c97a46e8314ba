"""`opsbook run ... --on temporal`: the executor that hands a planned run to Temporal workers and, when the
workflow is done, reads the run back from the shared store (where the workers wrote it) as a RunResult."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

from opsbook.core.checks import CheckSpec
from opsbook.core.config import Config
from opsbook.core.models import Finding, Target, TargetKind
from opsbook.engine.runner import RunObserver, RunResult, TargetOutcome, account_shares, new_run_id
from opsbook.engine.service import Executor
from opsbook.store import runs
from opsbook.store.db import open_store
from opsbook.temporal.connect import Endpoint, connect, failed_on_workers
from opsbook.temporal.run_io import RunPlan, RunSummary
from opsbook.temporal.run_workflow import WORKFLOW


def shipped_config(cfg: Config) -> dict[str, Any]:
    """The config as workers get it: no notification channels (the starter sends the run's notification)
    and no password in the store URL (workflow history is not a secret store: workers take it from their
    own opsbook.yaml or libpq's PGPASSWORD/.pgpass)."""
    data = cfg.model_dump(mode="json", exclude={"notifications", "source"})
    url = make_url(cfg.storage.url)
    if url.password:
        data["storage"]["url"] = url.set(password=None).render_as_string(hide_password=False)
    return data


def plan_of(
    cfg: Config,
    scope: str,
    specs: Sequence[CheckSpec],
    targets: Sequence[Target],
    *,
    now: datetime,
    concurrency: int | None,
    notes: Sequence[Finding],
) -> RunPlan:
    _, primaries = account_shares(targets)
    t = cfg.temporal
    return RunPlan(
        run_id=new_run_id(now),
        scope=scope,
        started_at=now.isoformat(),
        config=shipped_config(cfg),
        check_ids=[s.id for s in specs],
        targets=[x.model_dump(mode="json") for x in targets],
        primaries=sorted(p for p in primaries),
        notes=[n.model_dump(mode="json") for n in notes],
        width=concurrency or cfg.run.concurrency,
        per_account=cfg.run.per_account,
        heartbeat_seconds=t.heartbeat_seconds,
        target_timeout_seconds=t.target_timeout_minutes * 60,
        attempts=t.attempts,
    )


def temporal_executor(ep: Endpoint) -> Executor:
    """An `execute` (engine/runner.py) that runs the targets as activities on `ep`'s workers."""

    def execute(
        cfg: Config,
        scope: str,
        specs: Sequence[CheckSpec],
        targets: Sequence[Target],
        *,
        observer: RunObserver | None = None,
        concurrency: int | None = None,
        now: datetime | None = None,
        notes: Sequence[Finding] = (),
        **_local: Any,  # runners, stats, store: the workers have their own
    ) -> RunResult:
        now = now or datetime.now(UTC)
        plan = plan_of(cfg, scope, specs, targets, now=now, concurrency=concurrency, notes=notes)
        if observer:
            observer.started(plan.run_id, targets)
        summary = asyncio.run(start_and_wait(ep, plan))
        result = read_back(cfg, plan, targets, summary)
        if observer:
            for outcome in result.outcomes:
                observer.target_done(outcome)
        return result

    return execute


async def start_and_wait(ep: Endpoint, plan: RunPlan) -> RunSummary:
    client = await connect(ep)
    workflow_id = f"opsbook-run-{plan.run_id}"
    print(f"run {plan.run_id}: workflow {workflow_id} on task queue {ep.task_queue}", file=sys.stderr)
    from temporalio.client import WorkflowFailureError

    try:
        return await client.execute_workflow(
            WORKFLOW, plan, id=workflow_id, task_queue=ep.task_queue, result_type=RunSummary
        )
    except WorkflowFailureError as exc:
        raise failed_on_workers(f"run {plan.run_id}", exc) from None


def read_back(cfg: Config, plan: RunPlan, targets: Sequence[Target], summary: RunSummary) -> RunResult:
    """The run as the workers stored it: each target's result row and findings."""
    store = open_store(cfg.storage.url)
    try:
        doc = runs.get_run(store, run_id=plan.run_id)
    finally:
        store.close()
    by_key = {t.key: t for t in targets}
    outcomes: dict[str, TargetOutcome] = {}
    for row in doc["target_results"]:
        target = by_key.get(row["target"])
        outcomes[row["target"]] = TargetOutcome(
            target or Target(kind=TargetKind.ATMOS), error=row["error"], seconds=row["seconds"]
        )
    proposals = {uid: p for s in summary.targets for uid, p in s.proposals.items()}
    for f in doc["findings"]:
        finding = Finding.model_validate({**f, "proposal": proposals.get(f["uid"])})
        outcome = outcomes.setdefault(finding.target.key, TargetOutcome(finding.target))
        if outcome.target.key != finding.target.key:  # a notes-only target: its findings name it
            outcome.target = finding.target
        outcome.findings.append(finding)
    return RunResult(
        run_id=plan.run_id,
        scope=plan.scope,
        started_at=datetime.fromisoformat(plan.started_at),
        finished_at=datetime.fromisoformat(summary.finished_at),
        status=summary.status,
        outcomes=sorted(outcomes.values(), key=lambda o: o.target.key),
        api_calls=summary.api_calls,
        api_throttles=summary.throttles,
        api_errors=summary.errors,
        collector_calls=summary.collector_calls,
    )
