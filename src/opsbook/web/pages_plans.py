"""Plans (pending / applied / refused ...), one plan's items, journal and audit, and "approve".

Approving in the web app does what `opsbook apply PLAN --yes` does in the CLI (there approval is the
`--yes` of the apply): the recorded plan is written to a file and applied by the real CLI in the
background, as the signed-in user (LOGNAME), so every audit row of that apply names them. The approval
itself is audited first (result `approved`, from host `web`). With `run.engine: temporal` in the config the
apply is `opsbook apply PLAN --yes --on temporal`: the durable apply on the workers. Steps that ask for their own approval are
refused by that apply, as in the CLI without `--approve-step`; when the plan is applied on Temporal
(`opsbook apply PLAN --on temporal`, docs/temporal.md), the step's "approve" button runs
`opsbook approve PLAN_HASH --step N`, whose signal lets the waiting workflow go on.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from opsbook.store import browse
from opsbook.store.plans import audit, list_audit
from opsbook.web import auth
from opsbook.web.app import page, web

router = APIRouter()


def _plans(request: Request, state: str) -> list[dict[str, Any]]:
    """The recorded plans, those in `state` when given (one of browse.PLAN_STATES, else 400)."""
    if state and state not in browse.PLAN_STATES:
        raise HTTPException(400, f"state={state!r}: expected one of {', '.join(browse.PLAN_STATES)}")
    return [p for p in browse.list_plans(web(request).store) if not state or p["state"] == state]


@router.get("/plans")
def plans_page(request: Request, state: str = "") -> Response:
    return page(request, "plans.html", plans=_plans(request, state), state=state, states=browse.PLAN_STATES)


@router.get("/api/plans")
def plans_json(request: Request, state: str = "") -> list[dict[str, Any]]:
    return _plans(request, state)


@router.get("/plans/{plan_hash}")
def plan_page(request: Request, plan_hash: str) -> Response:
    store = web(request).store
    plan = browse.get_plan(store, plan_hash=plan_hash)
    trail = list_audit(store, plan_hash=plan["plan_hash"])
    job = web(request).jobs.running("apply", plan["plan_hash"])
    return page(
        request, "plan.html", plan=plan, items=plan["content"].get("items") or [], audit=trail, job=job
    )


@router.post("/plans/{plan_hash}/approve")
def approve(request: Request, plan_hash: str) -> Response:
    user = auth.require_user(request)
    state = web(request)
    plan = browse.get_plan(state.store, plan_hash=plan_hash)
    if plan["state"] != "pending":
        raise HTTPException(409, f"plan {plan_hash[:19]} is {plan['state']}, not pending: nothing to approve")
    if state.settings.sandbox:
        raise HTTPException(409, "the demo's sandbox is not running: apply its plans with `opsbook apply`")
    path = state.plan_dir / f"{plan_hash.replace(':', '-')}.json"
    args = ["apply", str(path), "--yes", "--format", "json"]
    if state.config.run.engine == "temporal":  # as "run now" follows it: the durable apply on the workers
        args += ["--on", "temporal"]
    if state.config.source:
        args = ["--config", state.config.source, *args]
    busy = f"plan {plan_hash[:19]} is being applied (approved already)"
    with state.jobs.starting(
        "apply", plan_hash, user, args, busy
    ) as job:  # 409 (jobs.Busy) for a second click
        path.write_text(json.dumps(plan["content"], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        audit(state.store, who=user, host="web", procedure=plan["procedure"], plan_hash=plan_hash, apply_id="web",
              resource="*", action="approve", result="approved", reason=f"approved in the web app by {user}")  # fmt: skip
        state.jobs.launch(job, scratch=path)
    return RedirectResponse(f"/plans/{plan_hash}", status_code=303)


@router.post("/plans/{plan_hash}/steps/{step}/approve")
def approve_step(request: Request, plan_hash: str, step: str) -> Response:
    """Approve one step of a plan applied on Temporal that waits for it (the CLI's `opsbook approve`)."""
    user = auth.require_user(request)
    state = web(request)
    plan = browse.get_plan(state.store, plan_hash=plan_hash)
    items = {i.get("id"): i for i in plan["content"].get("items") or []}
    if step not in items or not items[step].get("approval"):
        raise HTTPException(404, f"plan {plan_hash[:19]} has no step {step!r} that asks for its own approval")
    if state.settings.sandbox:
        raise HTTPException(
            409, "the demo's sandbox is not running: approve its steps with `opsbook approve`"
        )
    args = ["approve", plan["plan_hash"], "--step", step]
    if state.config.source:
        args = ["--config", state.config.source, *args]
    audit(state.store, who=user, host="web", procedure=plan["procedure"], plan_hash=plan["plan_hash"],
          apply_id="web", resource=items[step].get("resource", {}).get("id", "*"), action="approve-step",
          result="approved", reason=f"step {step} approved in the web app by {user} (signal to Temporal)",
          item_id=step)  # fmt: skip
    state.jobs.start("approve-step", f"{plan['plan_hash']}#{step}", user, args)
    return RedirectResponse(f"/plans/{plan['plan_hash']}", status_code=303)
