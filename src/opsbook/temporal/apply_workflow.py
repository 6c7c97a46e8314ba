"""A plan's apply as a workflow: passes of the apply activity; between them, a step that asks for its own
approval waits (durably: days if need be, no process held) for the `approve_step` signal that
`opsbook approve PLAN_HASH --step N` sends."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from opsbook.temporal.apply_io import (
        APPROVE_SIGNAL,
        AWAITING_QUERY,
        ApplyPass,
        ApplyRequest,
        Approval,
        PassResult,
    )

WORKFLOW = "opsbook.apply"


@workflow.defn(name=WORKFLOW)
class ApplyWorkflow:
    def __init__(self) -> None:
        self.approvers: dict[str, str] = {}
        self.waiting_for: str | None = None

    @workflow.signal(name=APPROVE_SIGNAL)
    def approve_step(self, approval: Approval) -> None:
        self.approvers[approval.step] = approval.who

    @workflow.query(name=AWAITING_QUERY)
    def awaiting(self) -> str | None:
        return self.waiting_for

    @workflow.run
    async def run(self, req: ApplyRequest) -> list[PassResult]:
        passes: list[PassResult] = []
        for step in req.approved_steps:
            self.approvers.setdefault(step, req.who)
        while True:
            task = ApplyPass(req, len(passes) + 1, sorted(self.approvers), dict(self.approvers))
            result = await workflow.execute_activity(
                "opsbook.apply_plan",
                task,
                result_type=PassResult,
                start_to_close_timeout=timedelta(seconds=req.timeout_seconds),
                heartbeat_timeout=timedelta(seconds=req.heartbeat_seconds),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(seconds=30),
                    maximum_attempts=req.attempts,
                    non_retryable_error_types=["PlanMismatch", "LimitExceeded", "NotFound"],
                ),
            )
            passes.append(result)
            step = result.awaiting
            if step is None or result.failed:
                return passes
            if step not in self.approvers:  # (a signal may have come during the pass: then go on at once)
                self.waiting_for = step
                await workflow.wait_condition(lambda s=step: s in self.approvers)  # type: ignore[misc]
                self.waiting_for = None
