"""`opsbook apply PLAN --on temporal` and `opsbook approve`: start (or signal) a plan's apply workflow."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from typing import Any

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound, PlanLocked
from opsbook.procedures.apply import ApplyOptions
from opsbook.procedures.plan import Plan
from opsbook.temporal.apply_io import (
    APPROVE_SIGNAL,
    AWAITING_QUERY,
    WAIT_QUERY,
    ApplyRequest,
    Approval,
    PassResult,
    workflow_id,
)
from opsbook.temporal.apply_workflow import WORKFLOW
from opsbook.temporal.connect import Endpoint, connect, failed_on_workers
from opsbook.temporal.run_start import shipped_config

_HASH = re.compile(r"^(sha256:)?[0-9a-f]{64}$")


def apply_on_temporal(
    ep: Endpoint,
    cfg: Config,
    plan: Plan,
    raw: dict[str, Any],
    options: ApplyOptions,
    *,
    approved_steps: list[str],
    who: str,
) -> list[PassResult]:
    """Run the plan's apply workflow to its end; its passes (one more after each approval signal)."""
    t = cfg.temporal
    req = ApplyRequest(
        plan=raw,
        config=shipped_config(cfg),
        who=who,
        only=list(options.only),
        max_resources=options.max_resources,
        snapshot_before_delete=options.snapshot_before_delete,
        approved_steps=approved_steps,
        heartbeat_seconds=t.heartbeat_seconds,
        timeout_seconds=t.target_timeout_minutes * 60,
        attempts=t.attempts,
    )
    not_locked(cfg, plan.plan_hash)
    return asyncio.run(_apply(ep, plan.plan_hash, req))


def not_locked(cfg: Config, plan_hash: str) -> None:
    """Refuse (PlanLocked, exit 2) before starting a workflow when a live local apply (or another durable
    one) holds the plan's lock in the starter's store; the workflow's first pass checks again on the
    workers (their store may be configured apart)."""
    import socket

    from opsbook.core.errors import StoreUnavailable
    from opsbook.procedures.lock import WORKFLOW_HOST, describe, stale_reason, utcnow
    from opsbook.store import locks
    from opsbook.store.db import open_store, store_errors

    try:
        with store_errors("reading the plan lock"):
            store = open_store(cfg.storage.url)
            try:
                held = locks.current(store, plan_hash=plan_hash)
            finally:
                store.close()
    except StoreUnavailable:
        return  # the workers' pass takes the lock (or says why not)
    if held is None or held.host == WORKFLOW_HOST + workflow_id(plan_hash):
        return  # free, or this plan's workflow (running: refused below; gone: its lock is renewed)
    if stale_reason(held, host=socket.gethostname(), now=utcnow()) is None:
        raise PlanLocked(
            f"plan {plan_hash[:19]}... is being applied by {describe(held)}; wait for it to finish, then "
            "apply again"
        )


async def _apply(ep: Endpoint, plan_hash: str, req: ApplyRequest) -> list[PassResult]:
    from temporalio.client import WorkflowFailureError
    from temporalio.exceptions import WorkflowAlreadyStartedError

    client = await connect(ep)
    wid = workflow_id(plan_hash)
    try:
        handle = await client.start_workflow(
            WORKFLOW, req, id=wid, task_queue=ep.task_queue, result_type=list[PassResult]
        )
    except WorkflowAlreadyStartedError:
        raise PlanLocked(
            f"plan {plan_hash[:19]}... is already being applied on Temporal (workflow {wid})"
        ) from None
    print(f"apply of plan {plan_hash[:19]}...: workflow {wid} on task queue {ep.task_queue}", file=sys.stderr)
    result = asyncio.ensure_future(handle.result())
    told: str | None = None
    told_wait: str | None = None
    while True:
        done, _ = await asyncio.wait({result}, timeout=2.0)
        if done:
            try:
                return result.result()
            except WorkflowFailureError as exc:
                raise failed_on_workers(f"apply of plan {plan_hash[:19]}...", exc) from None
        wait = await handle.query(WAIT_QUERY, result_type=dict[str, Any] | None)  # type: ignore[arg-type]
        if wait and wait["step"] != told_wait:
            told_wait = wait["step"]
            left = float(wait["deadline"]) - time.time()
            print(
                f"step {wait['step']} waits for {wait['condition']} ({wait['progress']}); a timer on "
                f"Temporal, no worker held; deadline in {max(0.0, left):.0f} s",
                file=sys.stderr,
                flush=True,
            )
        step = await handle.query(AWAITING_QUERY, result_type=str | None)  # type: ignore[arg-type]
        if step and step != told:
            told = step
            print(
                f"step {step} waits for its own approval: opsbook approve {plan_hash} --step {step}",
                file=sys.stderr,
                flush=True,
            )


def check_hash(value: str) -> str:
    value = value.strip()
    if not _HASH.match(value):
        raise InputError(
            f"PLAN_HASH {value!r}: expected the plan's hash, sha256:<64 hex> (see the plan file)"
        )
    return value if value.startswith("sha256:") else "sha256:" + value


def approve(ep: Endpoint, plan_hash: str, step: str, who: str) -> str:
    """Signal the running apply of `plan_hash` that `step` is approved; the workflow id."""
    return asyncio.run(_approve(ep, check_hash(plan_hash), step, who))


async def _approve(ep: Endpoint, plan_hash: str, step: str, who: str) -> str:
    from temporalio.service import RPCError

    client = await connect(ep)
    wid = workflow_id(plan_hash)
    try:
        await client.get_workflow_handle(wid).signal(APPROVE_SIGNAL, Approval(step, who))
    except RPCError as exc:
        raise NotFound(
            f"no apply of plan {plan_hash[:19]}... is running on Temporal ({exc.message})"
        ) from None
    return wid
