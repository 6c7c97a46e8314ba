"""`opsbook apply PLAN --on temporal` and `opsbook approve PLAN_HASH --step N` (docs/temporal.md)."""

from __future__ import annotations

import sys
from typing import Any

import typer

from opsbook.cli.common import STATE, TableJson, console, emit_json
from opsbook.engine.selection import load_checked_config
from opsbook.procedures import apply as applying
from opsbook.procedures import plan as plans


def apply_on_temporal(
    plan: plans.Plan,
    raw: dict[str, Any],
    *,
    yes: bool,
    fmt: TableJson,
    options: applying.ApplyOptions,
    approve_step: list[str],
    address: str | None,
    task_queue: str | None,
) -> int:
    """Approve here (as a local apply asks), then run the apply workflow to its end; the exit code."""
    from opsbook.cli.procedures_cmd import items_table
    from opsbook.temporal.connect import endpoint, require_extra

    require_extra()
    cfg = load_checked_config(STATE.config_path)
    ep = endpoint(cfg, address, task_queue)
    out = console()
    if fmt is not TableJson.json:
        out.print(items_table(plan, list(plan.items)))
    applying.require_approval(
        yes=yes,
        interactive=sys.stdin.isatty() and sys.stdout.isatty(),
        confirm=lambda: typer.confirm(f"Apply these {len(plan.items)} changes on Temporal?", default=False),
    )
    from opsbook.temporal.apply_start import apply_on_temporal as start

    who, _ = plans.actor()
    passes = start(ep, cfg, plan, raw, options, approved_steps=approve_step, who=who)
    last = passes[-1]
    outcomes = [o for p in passes for o in p.outcomes]
    counts = {r: sum(1 for o in outcomes if o["result"] == r) for r in applying.RESULTS}
    summary: dict[str, Any] = {
        "plan_hash": plan.plan_hash,
        "procedure": plan.procedure,
        "apply_ids": [p.apply_id for p in passes],
        "counts": counts,
        "outcomes": outcomes,
        "notes": [n for p in passes for n in p.notes],
        "stopped_at": last.stopped_at,
        "rolled_back": any(p.rolled_back for p in passes),
        "on": "temporal",
    }
    failed = any(p.failed for p in passes)
    if fmt is TableJson.json:
        emit_json(summary)
    else:
        for o in outcomes:
            out.print(
                f"{o['item_id']} {o['action']} {o['resource']}: {o['result']} {o['reason']}", soft_wrap=True
            )
        said = ", ".join(f"{n} {r}" for r, n in counts.items() if n)
        out.print(f"apply on Temporal ({len(passes)} pass(es)): {said or 'nothing to do'}")
        if last.stopped_at:
            out.print(
                f"stopped at step {last.stopped_at}: fix what it says, then apply again", soft_wrap=True
            )
    return 3 if failed else 2 if last.stopped_at else 0


def approve_cmd(
    plan_hash: str = typer.Argument(..., help="The plan's hash (sha256:<64 hex>, its `plan_hash`)."),
    step: str = typer.Option(..., "--step", help="The step (item id, e.g. 002) to approve."),
    temporal: str = typer.Option(
        None, "--temporal", help="The Temporal server, HOST:PORT (default: temporal.address in opsbook.yaml)."
    ),
) -> None:
    """Approve one step of a plan applied with `--on temporal` that waits for its own approval.

    The waiting workflow gets a signal and goes on (on any worker); the audit names the approval.
    A local `opsbook apply` asks on its terminal or takes `--approve-step N` instead.

    Example: `opsbook approve sha256:0a1b... --step 002`. Exit 2 when no apply of the plan is running.
    """
    from opsbook.temporal.apply_start import approve, check_hash
    from opsbook.temporal.connect import endpoint, require_extra

    require_extra()
    plan_hash = check_hash(plan_hash)
    cfg = load_checked_config(STATE.config_path, required=False)
    ep = endpoint(cfg, temporal)
    who, host = plans.actor()
    wid = approve(ep, plan_hash, step, f"{who}@{host}")
    console().print(f"step {step} of plan {plan_hash[:19]}... approved (workflow {wid})", soft_wrap=True)
