"""A plan's apply as a workflow: passes of the apply activity; between them, durably (days if need be, no
process or worker slot held):
- a step that asks for its own approval waits for the `approve_step` signal that
  `opsbook approve PLAN_HASH --step N` sends;
- a step's wait (a rollout, a node group update) is a timer: the workflow sleeps until the wait's next
  check, runs the short `opsbook.check_wait` activity (one check, journaled), and repeats until a verdict
  settles it (it holds, it cannot, or its journaled deadline passed); the next pass finishes the step."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from opsbook.procedures.steps import NOT_YET
    from opsbook.temporal.apply_io import (
        APPROVE_SIGNAL,
        AWAITING_QUERY,
        WAIT_QUERY,
        ApplyPass,
        ApplyRequest,
        Approval,
        LockTask,
        PassResult,
        WaitCheck,
    )

WORKFLOW = "opsbook.apply"


@workflow.defn(name=WORKFLOW)
class ApplyWorkflow:
    def __init__(self) -> None:
        self.approvers: dict[str, str] = {}
        self.waiting_for: str | None = None
        self.wait: dict[str, Any] | None = None  # the step wait the workflow sleeps on (WAIT_QUERY)

    @workflow.signal(name=APPROVE_SIGNAL)
    def approve_step(self, approval: Approval) -> None:
        self.approvers[approval.step] = approval.who

    @workflow.query(name=AWAITING_QUERY)
    def awaiting(self) -> str | None:
        return self.waiting_for

    @workflow.query(name=WAIT_QUERY)
    def step_wait(self) -> dict[str, Any] | None:
        return self.wait

    def options(self, req: ApplyRequest, timeout: float) -> dict[str, Any]:
        return {
            "start_to_close_timeout": timedelta(seconds=timeout),
            "heartbeat_timeout": timedelta(seconds=req.heartbeat_seconds),
            "retry_policy": RetryPolicy(
                initial_interval=timedelta(seconds=1),
                maximum_interval=timedelta(seconds=30),
                maximum_attempts=req.attempts,
                non_retryable_error_types=["PlanMismatch", "LimitExceeded", "NotFound", "PlanLocked"],
            ),
        }

    async def sleep_on(self, req: ApplyRequest, wait: dict[str, Any], passes: list[PassResult]) -> None:
        """Timer, check, timer, ... until the wait's verdict is settled (no activity runs while asleep). A
        history grown long continues as a new run of the workflow, which sleeps on from here."""
        while wait["verdict"] == NOT_YET:
            info = workflow.info()
            if info.get_current_history_length() > req.history_limit or info.is_continue_as_new_suggested():
                workflow.continue_as_new(
                    replace(
                        req, carried_passes=passes, carried_approvers=dict(self.approvers), carried_wait=wait
                    )
                )
            self.wait = wait
            left = max(0.2, float(wait["next_check"]) - workflow.now().timestamp())
            nap = min(left, req.hold_seconds / 3)
            await workflow.sleep(nap)  # a durable timer: survives workers and restarts
            if nap < left:  # a long timer: renew the plan lock's lease on the way
                await self.plan_lock(req, release=False)
                continue
            wait = await workflow.execute_activity(
                "opsbook.check_wait",
                WaitCheck(str(wait["step"])),
                result_type=dict[str, Any],
                **self.options(req, min(req.timeout_seconds, 600.0)),
            )
        self.wait = None

    async def plan_lock(self, req: ApplyRequest, *, release: bool) -> None:
        await workflow.execute_activity(
            "opsbook.plan_lock", LockTask(release), **self.options(req, min(req.timeout_seconds, 120.0))
        )

    async def await_approval(self, req: ApplyRequest, step: str) -> None:
        """Until `step` is approved (a signal), renewing the plan lock's lease every third of it."""
        self.waiting_for = step
        while step not in self.approvers:
            try:
                await workflow.wait_condition(
                    lambda: step in self.approvers, timeout=timedelta(seconds=req.hold_seconds / 3)
                )
            except TimeoutError:
                await self.plan_lock(req, release=False)
        self.waiting_for = None

    @workflow.run
    async def run(self, req: ApplyRequest) -> list[PassResult]:
        """The plan's lock is the workflow's from its first pass to its end: released however it ends (done,
        failed, cancelled), kept across a continue-as-new (the next run holds it on)."""
        try:
            passes = await self.apply(req)
        except workflow.ContinueAsNewError:
            raise
        except BaseException:
            await self.plan_lock(req, release=True)  # (a cancelled workflow may still run activities)
            raise
        await self.plan_lock(req, release=True)
        return passes

    async def apply(self, req: ApplyRequest) -> list[PassResult]:
        passes: list[PassResult] = list(req.carried_passes)
        self.approvers.update(req.carried_approvers)
        for step in req.approved_steps:
            self.approvers.setdefault(step, req.who)
        if req.carried_wait is not None:  # continued as a new run in the middle of a wait
            await self.sleep_on(req, req.carried_wait, passes)
        while True:
            settled = sorted({s for p in passes for s in p.settled})
            task = ApplyPass(len(passes) + 1, sorted(self.approvers), dict(self.approvers), settled)
            result = await workflow.execute_activity(
                "opsbook.apply_plan", task, result_type=PassResult, **self.options(req, req.timeout_seconds)
            )
            passes.append(result)
            if result.waiting is not None:  # a step's wait: timers and checks, then the next pass
                await self.sleep_on(req, result.waiting, passes)
                continue
            step = result.awaiting
            if step is None or result.failed:
                return passes
            if step not in self.approvers:  # (a signal may have come during the pass: then go on at once)
                await self.await_approval(req, step)
