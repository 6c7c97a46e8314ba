"""`opsbook procedures list`, `opsbook plan PROCEDURE ...` and `opsbook apply PLAN`: every procedure through
one plan -> approve -> apply. `plan`'s subcommands and their options are made from the procedure registry
(procedures/registry.py): a new procedure needs no edit here."""

from __future__ import annotations

import inspect
import sys
import types
import typing
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from opsbook.cli.common import (
    STATE,
    TableJson,
    console,
    emit_json,
    known_regions,
    output_option,
    write_output,
)
from opsbook.cli.run_cmd import config_for
from opsbook.core.errors import InputError
from opsbook.engine import procedures as planning
from opsbook.engine.cleanup import parse_duration
from opsbook.engine.gates import CheckGates
from opsbook.engine.selection import load_checked_config
from opsbook.procedures import apply as applying
from opsbook.procedures import plan as plans
from opsbook.procedures.kinds import undoable, why_no_undo
from opsbook.procedures.registry import PROCEDURES, TARGET_OPTIONS, PlanRequest, ProcedureSpec
from opsbook.store.db import open_store

procedures_app = typer.Typer(help="The procedures opsbook can plan and apply.", no_args_is_help=True)
plan_app = typer.Typer(
    help="Write a plan for a procedure (reads only; `opsbook apply PLAN` changes things).",
    no_args_is_help=True,
)


@procedures_app.command("list")
def procedures_list(
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Every procedure: name, what it does, the guide section it implements, the item kinds it plans."""
    planning.load_all()
    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "title": s.title,
            "section": s.section,
            "kinds": list(s.kinds),
            "parameters": sorted(f.alias or n for n, f in s.params.model_fields.items()),
            "examples": list(s.examples),
        }
        for s in sorted(PROCEDURES, key=lambda s: s.name)
    ]
    if fmt is TableJson.json:
        emit_json(rows)
        return
    t = Table(title=f"{len(rows)} procedures")
    for col in ("name", "title", "guide section", "item kinds"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["name"], r["title"], r["section"], ", ".join(r["kinds"]))
    console().print(t)


def items_table(plan: plans.Plan, items: list[plans.PlanItem] | None = None) -> Table:
    """The plan's items (or steps): where each acts (account/region, or the cluster), and savings only
    when the procedure saves money."""
    shown = plan.items if items is None else items
    total = sum(i.saving_usd_month for i in shown)
    costs = any(i.saving_usd_month for i in plan.items)
    saving = f", {money_month(total)}" if costs else ""
    noun = "steps" if plan.ordered else "items"
    t = Table(
        title=f"{len(shown)} {noun}{saving}   plan {plan.plan_hash[:19]}...  expires {plan.expires_at:%Y-%m-%d %H:%M}Z"
    )
    money = "bill $/month"
    for col in ("id", "where", "action", "resource", "reason") + ((money,) if costs else ()):
        t.add_column(col, justify="right" if col == money else "left")
    for i in shown:
        where = (
            f"{i.cluster} ({i.account})"
            if i.cluster and i.account
            else i.cluster or f"{i.account}/{i.region}"
        )
        row = [i.id, where, i.action, i.resource.name or i.resource.id, i.reason]
        t.add_row(*row, *([money_month(i.saving_usd_month, short=True)] if costs else []))
    return t


def money_month(saving: float, *, short: bool = False) -> str:
    """A plan's money in words: a saving is `~$10.00/month saved` (short: `-$10.00` off the bill), a cost
    (a negative saving, e.g. a larger instance class) `~$1,095.00/month more` (short: `+$1,095.00`)."""
    amount = f"${abs(saving):,.2f}"
    if short:
        return ("-" if saving > 0 else "+") + amount if saving else amount
    return f"~{amount}/month " + ("saved" if saving >= 0 else "more")


def finish_plan(plan: plans.Plan, store_url: str, output: Path | None, fmt: TableJson, sandbox: bool) -> None:
    """Record the plan, write it, and show it (table) or print it (json without -o)."""
    store = open_store(store_url)
    try:
        plans.record(store, plan)
    finally:
        store.close()
    if output is not None:
        write_output(plans.dumps(plan), output)
    if fmt is TableJson.json:
        if output is None:
            write_output(plans.dumps(plan), None)
        return
    out = console()
    out.print(items_table(plan))
    for item in plan.items:  # what a planner wants read before approving (a file diff, a Terraform plan)
        for line in item.evidence.get("display") or []:
            out.print(str(line), highlight=False, markup=False, soft_wrap=True)
    for e in plan.excluded:
        name = e["resource"].get("name") or e["resource"]["id"]
        out.print(f"excluded: {e['account']}/{e['region']} {name}: {e['reason']}", soft_wrap=True)
    for w in plan.warnings:
        out.print(f"[yellow]warning:[/] {w}", soft_wrap=True)
    if output is not None:
        out.print(f"plan written to {output}; apply with: opsbook apply {output}")
    elif sandbox:
        out.print(
            "(the sandbox stops with this command: use `opsbook sandbox up` to plan and apply against one)"
        )


# -- `opsbook plan NAME`: one subcommand per registered procedure -------------------------------------------

COMMON = {"account", "region", "cluster", "sandbox", "output", "expires_in", "fmt"}


def _common_parameters(targets: tuple[str, ...]) -> list[inspect.Parameter]:
    """The options every `opsbook plan NAME` takes; of --account/--region/--cluster only those the procedure
    honours (`targets`)."""
    kw = inspect.Parameter.KEYWORD_ONLY
    opts: list[tuple[str, Any, Any]] = [
        ("account", list[str], typer.Option([], "--account", help="Only this account (repeatable).")),
        (
            "region",
            list[str],
            typer.Option([], "--region", help="Only this region (repeatable).", callback=known_regions),
        ),
        ("cluster", list[str], typer.Option([], "--cluster", help="Only this cluster (repeatable).")),
        (
            "sandbox",
            bool,
            typer.Option(False, "--sandbox", help="Plan against a sandbox started for this command."),
        ),
        ("output", Path, output_option("Write the plan file (JSON) here.")),
        (
            "expires_in",
            str,
            typer.Option("24h", "--expires-in", help="How long the plan may be applied (e.g. 24h)."),
        ),
        ("fmt", TableJson, typer.Option(TableJson.table, "--format", "-f", help="table | json.")),
    ]
    dropped = set(TARGET_OPTIONS) - set(targets)
    return [
        inspect.Parameter(name, kw, annotation=ann, default=default)
        for name, ann, default in opts
        if name not in dropped
    ]


def _option_for(name: str, field: Any) -> inspect.Parameter:
    """A procedure parameter as a CLI option: lists repeat (or take a comma list), bools are flags; a field
    with an alias is offered by it (`--class` for a field that cannot be named `class`); a field marked
    `json_schema_extra={"argument": True}` is a positional argument (`opsbook plan rollout NS/DEPLOY`)."""
    flag = "--" + (field.alias or name).replace("_", "-")
    ann = field.annotation
    origin = typing.get_origin(ann)
    help_text = field.description or ""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if extra.get("argument"):
        annotation: Any = str
        default: Any = typer.Argument(..., help=help_text, metavar=name.upper(), show_default=False)
    elif origin is list:
        annotation = list[str]
        more = " Repeat it or give a comma list." if _comma_list(field) else " Repeat it."
        default = typer.Option([], flag, help=help_text + more)
    elif ann is bool:
        annotation = bool
        names = (
            flag if name.startswith("no_") else f"{flag}/--no-{flag[2:]}"
        )  # `--no-stack`, not `--no-no-stack`
        default = typer.Option(bool(field.default), names, help=help_text)
    else:
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        base = args[0] if origin in (typing.Union, types.UnionType) and args else ann
        annotation = base if base in (int, float, str) else str
        default = typer.Option(None, flag, help=help_text)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def _comma_list(field: Any) -> bool:
    """A list option takes comma lists unless its field says `json_schema_extra={"comma_list": False}`
    (values that may hold commas, e.g. stack-set's PATH=VALUE)."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return extra.get("comma_list", True) is not False


def _split_lists(raw: dict[str, Any], fields: dict[str, Any] | None = None) -> dict[str, Any]:
    fields = fields or {}
    return {
        k: [p.strip() for v in value for p in str(v).split(",") if p.strip()]
        if isinstance(value, list) and (k not in fields or _comma_list(fields[k]))
        else value
        for k, value in raw.items()
    }


def plan_command(spec: ProcedureSpec) -> Any:
    def command(**kwargs: Any) -> None:
        common = {k: kwargs.pop(k, []) for k in COMMON}
        request = PlanRequest(
            accounts=tuple(common["account"]),
            regions=tuple(common["region"]),
            clusters=tuple(common["cluster"]),
            ttl=parse_duration(common["expires_in"], "--expires-in"),
        )
        raw = _split_lists(kwargs, spec.params.model_fields)
        planning.parse_params(spec, raw)  # bad parameters fail before any sandbox or target is started
        with config_for(common["sandbox"]) as cfg:
            plan = planning.make_plan(cfg, spec.name, raw, request)
            finish_plan(plan, cfg.storage.url, common["output"], common["fmt"], common["sandbox"])

    params = [_option_for(name, field) for name, field in spec.params.model_fields.items()]
    command.__signature__ = inspect.Signature(params + _common_parameters(spec.targets))  # type: ignore[attr-defined]
    examples = "".join(f"\n\nExample: `{e}`" for e in spec.examples)
    command.__doc__ = f"{spec.title} (guide: {spec.section}). Reads only; writes a plan.{examples}"
    return command


# -- `opsbook apply PLAN`: one apply for every procedure ----------------------------------------------------


def apply_cmd(
    plan_file: Path = typer.Argument(..., help="A plan file from `opsbook plan ... -o`."),
    only: str = typer.Option(None, "--only", help="Comma list of item ids (or resource ids) to apply."),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Approve without asking (required without a terminal)."
    ),
    max_resources: int = typer.Option(
        applying.DEFAULT_MAX_RESOURCES, "--max-resources", min=1, help="Refuse plans changing more resources."
    ),
    snapshot_before_delete: bool = typer.Option(
        False, "--snapshot-before-delete", help="cleanup: snapshot each volume (and wait) before deleting it."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Evaluate every re-check and health gate; change nothing."
    ),
    rollback: bool = typer.Option(
        False, "--rollback", help="Undo what the plan's completed steps changed, newest first."
    ),
    approve_step: list[str] = typer.Option(
        [], "--approve-step", help="Approve this step (item id) of a plan that asks per step (repeatable)."
    ),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
    on: str = typer.Option(
        "local", "--on", help="local (this process) | temporal (a durable workflow on `opsbook worker`s)."
    ),
    temporal: str = typer.Option(None, "--temporal", help="--on temporal: the server, HOST:PORT."),
    task_queue: str = typer.Option(None, "--task-queue", help="--on temporal: the workers' task queue."),
) -> None:
    """Apply exactly the plan: re-check each resource first, skip what changed, refuse protected ones.

    Steps run in order; in an ordered plan (`opsbook procedures list`) apply stops at the first failed or
    refused step, or when a health gate turns red, and says how to continue: fix it, then run the same
    command again. A plan made to roll back on failure (`"on_failure": "rollback"`: rollout, blue-green)
    undoes its completed steps by itself when a step fails or a gate turns red. Journaled: after a crash or Ctrl-C (also during a wait) it resumes without acting twice.
    One apply per plan at a time: a second one exits 2 naming the holder of the plan's lock.

    With `--on temporal` the apply is a workflow on `opsbook worker`s (docs/temporal.md): a worker killed
    mid-step loses nothing (another resumes from the journal), and a step that asks for its own approval
    waits, without holding any process, for `opsbook approve PLAN_HASH --step N`.

    Examples: `opsbook apply plan.json --dry-run`, `opsbook apply plan.json --yes`,
    `opsbook apply plan.json --rollback --yes`, `opsbook apply plan.json --yes --approve-step 002`.

    Exit codes: 0 applied (skips and refusals are listed), 2 refused plan / unknown procedure / not
    approved / plan locked, or an ordered plan stopped at a refused step (e.g. one that needs its own
    approval), 3 a step failed, a gate turned red, or the store failed.
    """
    plan, raw = plans.load(plan_file)
    planning.spec_of(plan.procedure)  # a plan of a procedure this opsbook does not know: exit 2
    options = applying.ApplyOptions(
        only=[x.strip() for x in (only or "").split(",") if x.strip()],
        max_resources=max_resources,
        snapshot_before_delete=snapshot_before_delete,
        dry_run=dry_run,
        rollback=rollback,
    )
    if on not in ("local", "temporal"):
        raise InputError(f"--on {on!r}: expected local or temporal")
    if on == "temporal":
        if dry_run or rollback:
            raise InputError("--dry-run and --rollback run here, not --on temporal")
        from opsbook.cli.temporal_apply import apply_on_temporal

        code = apply_on_temporal(plan, raw, yes=yes, fmt=fmt, options=options, approve_step=approve_step,
                                 address=temporal, task_queue=task_queue)  # fmt: skip
        raise typer.Exit(code)
    if temporal or task_queue:
        raise InputError("--temporal and --task-queue go with --on temporal")
    _, code = run_apply(plan, raw, plan_file, yes=yes, fmt=fmt, options=options, approve_step=approve_step)
    raise typer.Exit(code)


def run_apply(
    plan: plans.Plan,
    raw: dict[str, Any],
    plan_file: Path,
    *,
    yes: bool,
    fmt: TableJson,
    options: applying.ApplyOptions,
    approve_step: list[str],
) -> tuple[applying.ApplyResult, int]:
    """Apply a loaded plan as `opsbook apply` does (approval, progress, outcomes, summary); returns the
    result and the exit code. `opsbook incident act` calls it with the incident on `options`."""
    dry_run, rollback = options.dry_run, options.rollback
    cfg = load_checked_config(STATE.config_path)
    out = console()
    store = open_store(cfg.storage.url)
    clients = applying.TargetClients(cfg)

    def approve(todo: list[plans.PlanItem]) -> None:
        if fmt is not TableJson.json:
            out.print(items_table(plan, todo))
        if not todo:
            return
        applying.require_approval(
            yes=yes,
            interactive=sys.stdin.isatty() and sys.stdout.isatty(),
            confirm=lambda: typer.confirm(f"Apply these {len(todo)} changes?", default=False),
        )

    interactive = sys.stdin.isatty() and sys.stdout.isatty()

    def one_step(item: plans.PlanItem) -> None:
        if item.id in approve_step:
            return
        if not interactive:
            raise InputError(f"step {item.id} needs its own approval: pass --approve-step {item.id}")
        if not typer.confirm(
            f"Step {item.id}: {item.action} {item.resource.id} ({item.reason})?", default=False
        ):
            raise InputError("not approved")

    def progress(item: plans.PlanItem, text: str) -> None:
        if fmt is not TableJson.json:
            out.print(f"  {item.id} waiting: {text}", soft_wrap=True)

    def show(o: applying.Outcome) -> None:
        if fmt is not TableJson.json:
            colour = {"done": "green", "failed": "red", "refused": "red", "skipped": "yellow"}.get(
                o.result, ""
            )
            label = f"[{colour}]{o.result}[/]" if colour else o.result
            out.print(f"{o.item_id} {o.action} {o.resource}: {label} {o.reason}", soft_wrap=True)
            for line in o.details.get("display") or []:  # what a step shows besides its reason (a table)
                out.print(str(line), highlight=False, markup=False, soft_wrap=True)

    try:
        result = applying.apply_plan(
            plan,
            raw,
            cfg=cfg,
            store=store,
            clients_for=clients,
            options=options,
            approve=approve,
            on_outcome=show,
            gates=CheckGates(cfg),
            approve_step=one_step,
            on_progress=progress,
        )
    finally:
        clients.close()
        store.close()
    results = applying.RESULTS
    summary: dict[str, Any] = {
        "plan_hash": result.plan_hash,
        "procedure": plan.procedure,
        "apply_id": result.apply_id,
        "counts": {r: result.count(r) for r in results},
        "outcomes": [o.__dict__ for o in result.outcomes],
        "notes": result.notes,
        "stopped_at": result.stopped_at,
        "rolled_back": result.rolled_back,
        "dry_run": dry_run,
        "rollback": rollback,
    } | ({"incident": options.incident} if options.incident else {})
    if fmt is TableJson.json:
        emit_json(summary)
    else:
        for note in result.notes:
            out.print(f"[yellow]note:[/] {note}", soft_wrap=True)
        counts = ", ".join(f"{n} {r}" for r, n in summary["counts"].items() if n)
        mode = " (dry run: nothing changed)" if dry_run else ""
        out.print(f"apply {result.apply_id}: {counts or 'nothing to do'}{mode}")
        if result.rolled_back:
            out.print(
                f"[red]step {result.stopped_at} failed and the plan was rolled back automatically[/]: make a new "
                "plan to try again",
                soft_wrap=True,
            )
        elif result.stopped_at:
            undo = (
                "or `--rollback` undoes the completed steps"
                if undoable(plan.items)
                else "`--rollback` cannot undo this plan's steps: "
                + ("; ".join(why_no_undo(plan.items)) or "see the plan's warnings")
            )
            out.print(
                f"[red]stopped at step {result.stopped_at}[/]: fix what it says, then `opsbook apply {plan_file}` "
                f"again continues from there, without repeating the done steps ({undo})",
                soft_wrap=True,
            )
    return result, 3 if result.failed else 2 if result.stopped_at else 0  # stopped at a refused step: 2


# `opsbook plan backup rds` is `opsbook plan backup-rds`, as the guide's section names read: every procedure
# named `<verb>-<what>` for these verbs is also offered as `opsbook plan <verb> <what>`.
VERB_GROUPS = ("backup", "restore")


def planners() -> typer.Typer:
    """`opsbook plan`'s group with a command per procedure, filled once: by `register`, or by a command of
    another module that plans (`incident act`), which lazy registration (cli/__init__.py) loads alone."""
    if plan_app.registered_commands:
        return plan_app
    planning.load_all()
    groups = {verb: typer.Typer(help=f"{verb.title()} procedures (the same as `opsbook plan {verb}-WHAT`).",
                                no_args_is_help=True) for verb in VERB_GROUPS}  # fmt: skip
    for spec in sorted(PROCEDURES, key=lambda s: s.name):
        plan_app.command(spec.name, help=None)(plan_command(spec))
        verb, _, what = spec.name.partition("-")
        if verb in groups and what:
            groups[verb].command(what, help=None)(plan_command(spec))
    for verb, group in groups.items():
        if group.registered_commands:
            plan_app.add_typer(group, name=verb)
    return plan_app


def register(app: typer.Typer) -> None:
    app.add_typer(planners(), name="plan")
    app.command("apply")(apply_cmd)
    from opsbook.cli.temporal_apply import approve_cmd

    app.command("approve")(approve_cmd)
    app.add_typer(procedures_app, name="procedures")
