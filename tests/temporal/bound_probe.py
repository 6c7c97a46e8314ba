"""`python -m tests.temporal.bound_probe ADDRESS`: the run workflow (temporal/run_workflow.py) on Temporal's
dev server with stand-in activities that hold each target 0.3 s and note how many targets of each account,
and in all, ran at once; prints that as JSON. A process of its own: a Temporal client in the test process
could abort it at exit (temporalio/sdk-python#300), so this one leaves with os._exit."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections import Counter
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from opsbook.core.models import Target, TargetKind
from opsbook.temporal.run_io import BeginTask, FinishTask, RunPlan, RunSummary, TargetSummary, TargetTask
from opsbook.temporal.run_workflow import WORKFLOW, RunWorkflow

ACCOUNTS, REGIONS, PER_ACCOUNT, WIDTH = 3, 4, 2, 5


async def probe(address: str) -> dict[str, Any]:
    running: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    state: dict[str, Any] = {"total": 0, "peak_total": 0, "begun": 0, "finished": {}}

    @activity.defn(name="opsbook.begin_run")
    async def begin(task: BeginTask) -> None:
        state["begun"] = len(task.targets)

    @activity.defn(name="opsbook.run_target")
    async def run_target(task: TargetTask) -> TargetSummary:
        t = Target.model_validate(task.target)
        account = t.account or ""
        running[account] += 1
        state["total"] += 1
        peak[account] = max(peak[account], running[account])
        state["peak_total"] = max(state["peak_total"], state["total"])
        await asyncio.sleep(0.3)
        running[account] -= 1
        state["total"] -= 1
        return TargetSummary(t.key, None, 1, 0.3, api_calls={t.key: {"ec2:DescribeVolumes": 1}})

    @activity.defn(name="opsbook.finish_run")
    async def finish(task: FinishTask) -> str:
        state["finished"] = task.api_calls
        return "2026-12-02T00:00:00+00:00"

    targets = [
        Target(kind=TargetKind.AWS, account=f"a{a}", region=f"r{r}").model_dump(mode="json")
        for a in range(ACCOUNTS)
        for r in range(REGIONS)
    ]
    plan = RunPlan(run_id="probe", scope="daily", started_at="2026-12-02T00:00:00+00:00", config={},
                   check_ids=[], targets=targets, primaries=[], width=WIDTH, per_account=PER_ACCOUNT,
                   heartbeat_seconds=10, target_timeout_seconds=60, attempts=1)  # fmt: skip
    client = await Client.connect(address)
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=queue, workflows=[RunWorkflow], activities=[begin, run_target, finish]
    ):
        summary = await client.execute_workflow(
            WORKFLOW, plan, id=f"probe-{queue}", task_queue=queue, result_type=RunSummary
        )
    return {
        "peak_per_account": dict(peak),
        "peak_total": state["peak_total"],
        "begun": state["begun"],
        "summarised": [s.target for s in summary.targets],
        "api_calls": state["finished"],
        "status": summary.status,
    }


if __name__ == "__main__":
    out = asyncio.run(probe(sys.argv[1]))
    print(json.dumps(out), flush=True)
    os._exit(0)
