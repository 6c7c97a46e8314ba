"""`opsbook worker`: polls one task queue and runs opsbook's workflows and activities until stopped."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from opsbook.temporal.connect import Endpoint, connect


def workflows() -> list[type]:
    from opsbook.temporal.apply_workflow import ApplyWorkflow
    from opsbook.temporal.run_workflow import RunWorkflow

    return [RunWorkflow, ApplyWorkflow]


def activities() -> list[Callable[..., Any]]:
    from opsbook.temporal.apply_activities import apply_pass, check_wait, plan_lock
    from opsbook.temporal.run_activities import ACTIVITIES

    return [*ACTIVITIES, apply_pass, check_wait, plan_lock]


async def serve(ep: Endpoint, *, concurrency: int, store_url: str | None = None) -> None:
    """Until SIGINT/SIGTERM: at most `concurrency` activities at once (each blocking on its own thread)."""
    from temporalio.worker import Worker

    from opsbook.temporal import run_activities

    state = run_activities.STATE
    state.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="opsbook-activity")
    state.store_url = store_url
    client = await connect(ep)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(
        client,
        task_queue=ep.task_queue,
        workflows=workflows(),
        activities=activities(),
        max_concurrent_activities=concurrency,
        graceful_shutdown_timeout=timedelta(seconds=5),
    )
    try:
        async with worker:
            print(
                f"worker ready: {ep.address} namespace {ep.namespace} task queue {ep.task_queue}",
                file=sys.stderr,
            )
            await stop.wait()
    finally:
        state.close()
