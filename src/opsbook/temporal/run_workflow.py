"""The run as a workflow: begin, one activity per target (at most `per_account` of one AWS account and
`width` in all at once, accounts interleaved as the local engine's TargetQueue does), finish.

Deterministic: no I/O, no clock, no randomness here; activities are named, not imported.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsbook.core.models import Target, TargetKind
    from opsbook.engine.schedule import TargetQueue
    from opsbook.temporal.run_io import (
        BeginTask,
        FinishTask,
        RecordFailed,
        RunPlan,
        RunSummary,
        TargetSummary,
        TargetTask,
        merge_counts,
    )

WORKFLOW = "opsbook.run"


def options(plan: RunPlan, *, long: bool) -> dict[str, Any]:
    return {
        "start_to_close_timeout": timedelta(seconds=plan.target_timeout_seconds if long else 300),
        "heartbeat_timeout": timedelta(seconds=plan.heartbeat_seconds),
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=1),
            maximum_interval=timedelta(seconds=30),
            maximum_attempts=plan.attempts,
        ),
    }


@workflow.defn(name=WORKFLOW)
class RunWorkflow:
    @workflow.run
    async def run(self, plan: RunPlan) -> RunSummary:
        short = options(plan, long=False)
        storage_url = plan.config.get("storage", {}).get("url", "")
        begin = BeginTask(plan.run_id, plan.scope, plan.started_at, storage_url, plan.targets)
        await workflow.execute_activity("opsbook.begin_run", begin, **short)
        targets = [Target.model_validate(t) for t in plan.targets]
        queue = TargetQueue(targets, per_account=plan.per_account)
        primaries = set(plan.primaries)
        pending: dict[asyncio.Task[TargetSummary], Target] = {}
        summaries: list[TargetSummary] = []
        while True:
            while len(pending) < plan.width and (t := queue.take()) is not None:
                primary = t.kind is not TargetKind.AWS or t.key in primaries  # as engine/runner.py
                pending[asyncio.ensure_future(self.target(plan, t, primary))] = t
            if not pending:
                break
            done, _ = await workflow.wait(list(pending), return_when=asyncio.FIRST_COMPLETED)
            for fut in [f for f in pending if f in done]:  # in start order: deterministic
                queue.done(pending.pop(fut))
                summaries.append(fut.result())
        api: dict[str, dict[str, int]] = {}
        throttles: dict[str, dict[str, int]] = {}
        errors: dict[str, dict[str, int]] = {}
        collectors: dict[str, dict[str, int]] = {}
        for s in summaries:
            merge_counts(api, s.api_calls)
            merge_counts(throttles, s.throttles)
            merge_counts(errors, s.errors)
            merge_counts(collectors, s.collector_calls)
        ran = {t.key for t in targets}
        leftover = [n for n in plan.notes if target_key(n) not in ran]
        faults = {"throttles": throttles, "errors": errors}
        finish = FinishTask(plan.run_id, leftover, api, faults)
        finished_at = await workflow.execute_activity("opsbook.finish_run", finish, result_type=str, **short)
        summaries.sort(key=lambda s: s.target)
        return RunSummary(plan.run_id, "complete", finished_at, summaries, api, throttles, errors, collectors)

    async def target(self, plan: RunPlan, target: Target, primary: bool) -> TargetSummary:
        notes = [n for n in plan.notes if target_key(n) == target.key]
        data = target.model_dump(mode="json")
        task = TargetTask(plan.run_id, data, primary, notes)
        try:
            return await workflow.execute_activity(
                "opsbook.run_target", task, result_type=TargetSummary, **options(plan, long=True)
            )
        except ActivityError as exc:  # every attempt failed: the target's checks are ERROR, the run goes on
            cause = exc.cause or exc
            message = f"target failed on the workers: {cause}"
            failed = RecordFailed(plan.run_id, data, primary, notes, message)
            return await workflow.execute_activity(
                "opsbook.record_failed", failed, result_type=TargetSummary, **options(plan, long=False)
            )


def target_key(finding: dict[str, Any]) -> str:
    return Target.model_validate(finding["target"]).key
