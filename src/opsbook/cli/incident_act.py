"""`opsbook incident act ID PLANNER [planner options...]`: the guide's emergency actions (scale out a node
group, scale up the database, restart a deployment) as the existing procedures, planned and applied in one
command with the incident's id on every audit row and the outcome on its timeline.

The planner options are `opsbook plan PLANNER`'s own (the same parsing, checks and refusals); the plan is
written to a file (`--plan-file`, default `<ID>-<PLANNER>-<time>.json` here) so `opsbook apply FILE
--rollback` can undo it later. Approval is asked as `opsbook apply` asks (`--yes` to approve up front).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from opsbook.cli.common import TableJson, config_and_store, console
from opsbook.cli.procedures_cmd import planners, run_apply
from opsbook.core.errors import InputError
from opsbook.engine import incidents
from opsbook.procedures import apply as applying
from opsbook.procedures import plan as plans
from opsbook.procedures.kinds import undoable
from opsbook.store import incidents as records

PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}
OWN = ("--sandbox", "-o", "--output", "-f", "--format")  # `incident act` decides these for the plan


def act_cmd(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident the action serves."),
    planner: str = typer.Argument(..., help="A procedure (`opsbook procedures list`), e.g. scale-nodegroup."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve without asking."),
    plan_file: Path = typer.Option(None, "--plan-file", help="Where to keep the plan (for --rollback)."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Plan and apply an emergency action for an incident: PLANNER takes `opsbook plan PLANNER`'s options.

    Examples: `opsbook incident act INC-20261201-001 scale-nodegroup --cluster my-cluster --nodegroup
    application --desired 5 --yes`, `... scale-rds --account prod --db my-database --class
    db.r5.2xlarge`, `... restart-deployment default/myapp --cluster my-cluster`.
    """
    extra = list(ctx.args)
    given = [a for a in extra if a.split("=", 1)[0] in OWN]
    if given:
        raise InputError(f"opsbook incident act: {given[0]} is not a planner option here (see --help)")
    with config_and_store(create=False) as (_, store):
        inc = records.get(store, incident_id=incident_id)
    if inc.status == "resolved":
        raise InputError(
            f"{inc.id} is resolved: reopen it with `opsbook incident update {inc.id} --status open`"
        )
    path = plan_file or Path(f"{inc.id}-{planner}-{datetime.now(UTC):%H%M%S}.json")
    group = typer.main.get_command(planners())  # `opsbook incident ...` registered only its own module
    group.main(args=[planner, *extra, "-o", str(path), "-f", "json"], prog_name="opsbook plan",
               standalone_mode=False)  # fmt: skip
    plan, raw = plans.load(path)
    if fmt is TableJson.table:
        for w in plan.warnings:
            console().print(f"[yellow]warning:[/] {w}", soft_wrap=True)
    options = applying.ApplyOptions(incident=inc.id)
    result, code = run_apply(plan, raw, path, yes=yes, fmt=fmt, options=options, approve_step=[])
    counts = ", ".join(f"{n} {r}" for r in applying.RESULTS if (n := result.count(r))) or "nothing to do"
    undo = (
        f"undo with `opsbook apply {path} --rollback`" if undoable(plan.items) else "its steps have no undo"
    )
    with config_and_store() as (_, store):
        incidents.note(store, inc.id, kind="action",
                       text=f"{plan.procedure} plan {plan.plan_hash[:19]} applied ({counts}): "
                            + "; ".join(f"{i.action} {i.resource.id}" for i in plan.items) + f"; {undo}")  # fmt: skip
    if fmt is TableJson.table:
        console().print(f"plan kept in {path}; {undo}", soft_wrap=True, markup=False)
    raise typer.Exit(code)
