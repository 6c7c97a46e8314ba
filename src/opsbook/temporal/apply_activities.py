"""The apply activity: `procedures/apply.py`'s apply_plan on a worker. It is idempotent by the plan's
journal: a pass retried after its worker died takes over the dead worker's plan lock, re-checks a step
journaled `started` (acting only if its effect is not in place), finds a journaled wait with its deadline,
and reports done steps `already-done`. So a killed worker loses nothing and no step runs twice.

A pass never polls a wait: it checks it once and returns it (`PassResult.waiting`); the workflow sleeps a
timer and runs `opsbook.check_wait` (one check, journaled) until the wait is settled, holding no worker."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

from temporalio import activity

from opsbook.core.errors import InputError
from opsbook.engine import procedures as planning
from opsbook.engine.gates import CheckGates
from opsbook.procedures import apply as applying
from opsbook.procedures import deferred
from opsbook.procedures import plan as plans
from opsbook.procedures.lock import WorkflowLock
from opsbook.store import plans as store_plans
from opsbook.temporal.apply_io import ApplyPass, ApplyRequest, LockTask, PassResult, WaitCheck
from opsbook.temporal.run_activities import STATE, config_of, in_thread, say
from opsbook.temporal.workflow_input import workflow_input


def workflow_lock(req: ApplyRequest, store: Any, wid: str) -> WorkflowLock:
    """The plan's lock as the workflow `wid` holds it (procedures/lock.py's WorkflowLock)."""
    return WorkflowLock(
        store,
        plan_hash=str(req.plan.get("plan_hash", "")),
        workflow_id=wid,
        who=req.who,
        hold=timedelta(seconds=req.hold_seconds),
    )


class AwaitingApproval(InputError):
    """A step that asks for its own approval and has none yet: the workflow waits for the signal."""


@activity.defn(name="opsbook.apply_plan")
async def apply_pass(task: ApplyPass) -> PassResult:
    req = await workflow_input(ApplyRequest)
    wid = activity.info().workflow_id or ""
    say("start", f"apply_plan {req.plan.get('plan_hash', '')[:19]} pass {task.number}")

    def work() -> PassResult:
        planning.load_all()  # the procedures and their item kinds register
        cfg = config_of(req.config)
        plan = plans.Plan.model_validate(req.plan)
        store = STATE.store(cfg.storage.url)
        clients = applying.TargetClients(cfg)
        awaiting: list[str] = []

        def approve_step(item: plans.PlanItem) -> None:
            if item.id not in task.approved_steps:
                awaiting.append(item.id)
                raise AwaitingApproval(
                    f"awaiting approval: opsbook approve {plan.plan_hash} --step {item.id}"
                )
            who = task.approvers.get(item.id)
            if who and who != req.who:  # approved by signal: the audit names who sent it
                store_plans.audit(
                    store,
                    who=who,
                    host=socket.gethostname(),
                    procedure=plan.procedure,
                    plan_hash=plan.plan_hash,
                    apply_id=f"temporal-pass-{task.number}",
                    resource=item.resource.id,
                    action=item.action,
                    result="approved",
                    reason=f"step {item.id} approved by {who} (signal to the Temporal apply)",
                    item_id=item.id,
                )

        options = applying.ApplyOptions(
            only=req.only,
            max_resources=req.max_resources,
            snapshot_before_delete=req.snapshot_before_delete,
            defer_waits=True,
            settled=task.settled,
        )
        try:
            result = applying.apply_plan(
                plan,
                req.plan,
                cfg=cfg,
                store=store,
                clients_for=clients,
                options=options,
                approve=lambda todo: None,  # the starter approved the plan (--yes or its terminal)
                gates=CheckGates(cfg),
                approve_step=approve_step,
                actor=(req.who, socket.gethostname()),
                lock=workflow_lock(req, store, wid),  # the workflow's: kept when the pass ends
            )
        finally:
            clients.close()
        return PassResult(
            apply_id=result.apply_id,
            outcomes=[o.__dict__ for o in result.outcomes],
            notes=result.notes,
            stopped_at=result.stopped_at,
            rolled_back=result.rolled_back,
            failed=result.failed,
            awaiting=awaiting[0] if awaiting else None,
            waiting=result.waiting,
            settled=[
                o.item_id
                for o in result.outcomes
                if o.result in ("failed", "refused", "gate-red") and o.item_id not in awaiting
            ],
        )

    out = await in_thread(work)
    say("done", f"apply_plan {req.plan.get('plan_hash', '')[:19]} pass {task.number}")
    return out


@activity.defn(name="opsbook.check_wait")
async def check_wait(task: WaitCheck) -> dict[str, Any]:
    """Check one step's wait once (its timer fired) and journal the verdict; short: no worker is held
    between checks."""
    req = await workflow_input(ApplyRequest)
    wid = activity.info().workflow_id or ""
    say("start", f"check_wait {req.plan.get('plan_hash', '')[:19]} step {task.step}")

    def work() -> dict[str, Any]:
        planning.load_all()  # the wait conditions register
        cfg = config_of(req.config)
        plan = plans.Plan.model_validate(req.plan)
        store = STATE.store(cfg.storage.url)
        workflow_lock(req, store, wid).acquire()  # renewed; PlanLocked if another apply took it over
        clients = applying.TargetClients(cfg)
        try:
            return deferred.check(
                plan,
                store=store,
                clients_for=clients,
                item_id=task.step,
                options={"snapshot_before_delete": req.snapshot_before_delete},
            )
        finally:
            clients.close()

    out = await in_thread(work)
    say("done", f"check_wait {req.plan.get('plan_hash', '')[:19]} step {task.step}: {out['verdict']}")
    return out


@activity.defn(name="opsbook.plan_lock")
async def plan_lock(task: LockTask) -> None:
    """Renew the workflow's plan lock (it sleeps or awaits an approval), or release it (it ended)."""
    req = await workflow_input(ApplyRequest)
    wid = activity.info().workflow_id or ""

    def work() -> None:
        store = STATE.store(config_of(req.config).storage.url)
        lock = workflow_lock(req, store, wid)
        if task.release:
            lock.release()
        else:
            lock.acquire()

    await in_thread(work)
    say("done", f"plan_lock {req.plan.get('plan_hash', '')[:19]} {'released' if task.release else 'renewed'}")
