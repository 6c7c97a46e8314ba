"""`python -m tests.temporal.apply_probe ADDRESS`: the apply workflow (temporal/apply_workflow.py) on
Temporal's dev server with stand-in activities: pass 1 stops at a wait, the check says "not yet" 5 times
then "ok", pass 2 finishes, and the plan lock is released once, at the end. Its `history_limit` is tiny, so the wait continues as new runs of the workflow
on the way. Prints what the activities saw as JSON. A process of its own, as bound_probe.py (it leaves with
os._exit)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from opsbook.temporal.apply_io import ApplyPass, ApplyRequest, LockTask, PassResult, WaitCheck
from opsbook.temporal.apply_workflow import WORKFLOW, ApplyWorkflow
from opsbook.temporal.workflow_input import workflow_input

CHECKS = 6


async def probe(address: str) -> dict[str, Any]:
    seen: dict[str, Any] = {"passes": [], "checks": 0, "runs": set(), "carried": [], "locks": []}

    @activity.defn(name="opsbook.apply_plan")
    async def apply_pass(task: ApplyPass) -> PassResult:
        req = await workflow_input(ApplyRequest)  # this run's input: what it carried over
        seen["passes"].append(task.number)
        seen["carried"].append(len(req.carried_passes))
        if task.number == 1:
            now = time.time()
            wait = {"step": "001", "condition": "c", "verdict": "not-yet", "progress": "0 checks",
                    "deadline": now + 120, "next_check": now + 0.05, "checks": 0}  # fmt: skip
            return PassResult("a1", [], [], None, False, False, None, waiting=wait)
        return PassResult("a2", [{"item_id": "001", "result": "done"}], [], None, False, False, None)

    @activity.defn(name="opsbook.check_wait")
    async def check_wait(task: WaitCheck) -> dict[str, Any]:
        await workflow_input(ApplyRequest)
        seen["checks"] += 1
        seen["runs"].add(activity.info().workflow_run_id)
        verdict = "ok" if seen["checks"] >= CHECKS else "not-yet"
        now = time.time()
        return {"step": task.step, "condition": "c", "verdict": verdict, "progress": f"{seen['checks']} checks",
                "deadline": now + 120, "next_check": now + 0.05, "checks": seen["checks"]}  # fmt: skip

    @activity.defn(name="opsbook.plan_lock")
    async def plan_lock(task: LockTask) -> None:
        seen["locks"].append("release" if task.release else "renew")

    req = ApplyRequest(plan={"plan_hash": "sha256:probe"}, config={}, who="probe", history_limit=20,
                       heartbeat_seconds=10, timeout_seconds=60, attempts=1)  # fmt: skip
    client = await Client.connect(address)
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client, task_queue=queue, workflows=[ApplyWorkflow], activities=[apply_pass, check_wait, plan_lock]
    ):
        passes = await client.execute_workflow(
            WORKFLOW, req, id=f"probe-{queue}", task_queue=queue, result_type=list[PassResult]
        )
    return {
        "passes": seen["passes"],
        "carried": seen["carried"],
        "checks": seen["checks"],
        "runs": len(seen["runs"]),
        "result": [p.apply_id for p in passes],
        "locks": seen["locks"],
    }


if __name__ == "__main__":
    out = asyncio.run(probe(sys.argv[1]))
    print(json.dumps(out), flush=True)
    os._exit(0)
