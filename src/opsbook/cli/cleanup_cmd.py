"""`opsbook cleanup plan|apply`: the guide's cost cleanup through plan -> approve -> apply.

`plan` only reads; `apply` changes only what the plan lists, after approval. A sandbox shared by both:
`opsbook sandbox up --config-out sb.yaml`, then `opsbook --config sb.yaml cleanup plan ...` / `apply ...`.
"""

from __future__ import annotations

import sys
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
from opsbook.engine import cleanup
from opsbook.engine.selection import load_checked_config
from opsbook.procedures import apply as applying
from opsbook.procedures import load_builtin as load_procedures
from opsbook.procedures import plan as plans
from opsbook.store.db import open_store

cleanup_app = typer.Typer(help="Cost cleanup (guide: Cost Optimization) with plan -> approve -> apply.")


def items_table(plan: plans.Plan, items: list[plans.PlanItem] | None = None) -> Table:
    shown = plan.items if items is None else items
    total = sum(i.saving_usd_month for i in shown)
    t = Table(
        title=f"{len(shown)} items, ~${total:,.2f}/month   plan {plan.plan_hash[:19]}...  expires {plan.expires_at:%Y-%m-%d %H:%M}Z"
    )
    for col in ("id", "account", "region", "action", "resource", "reason", "$/month"):
        t.add_column(col, justify="right" if col == "$/month" else "left")
    for i in shown:
        t.add_row(
            i.id,
            i.account,
            i.region,
            i.action,
            i.resource.name or i.resource.id,
            i.reason,
            f"{i.saving_usd_month:,.2f}",
        )
    return t


@cleanup_app.command("plan")
def plan_cmd(
    kinds: str = typer.Option(
        None, "--kinds", help="Comma list of ebs,eip,snapshot,idle-lb,s3-tiering (default all)."
    ),
    older_than: str = typer.Option(
        None, "--older-than", help="Snapshots older than this (e.g. 90d; default 90d)."
    ),
    account: list[str] = typer.Option([], "--account", help="Only this account (repeatable)."),
    region: list[str] = typer.Option(
        [], "--region", help="Only this region (repeatable).", callback=known_regions
    ),
    sandbox: bool = typer.Option(
        False, "--sandbox", help="Plan against a sandbox started for this command only."
    ),
    output: Path = output_option("Write the plan file (JSON) here."),
    expires_in: str = typer.Option(
        "24h", "--expires-in", help="How long the plan may be applied (e.g. 24h)."
    ),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Find the waste and write a plan: every resource, action, reason, evidence and saving. Changes nothing.

    Example: `opsbook cleanup plan --kinds ebs,eip --account dev -o plan.json`, then review and
    `opsbook cleanup apply plan.json`.
    """
    kind_list = cleanup.parse_kinds(kinds)
    days = (
        int(cleanup.parse_duration(older_than, "--older-than").total_seconds() // 86400)
        if older_than
        else None
    )
    if days is not None and days < 1:
        raise InputError("--older-than: must be at least 1d")
    ttl = cleanup.parse_duration(expires_in, "--expires-in")
    with config_for(sandbox) as cfg:
        plan = cleanup.build_plan(
            cfg, kinds=kind_list, older_than_days=days, accounts=account, regions=region, ttl=ttl
        )
        store = open_store(cfg.storage.url)
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
    for e in plan.excluded:
        out.print(
            f"excluded: {e['account']}/{e['region']} {e['resource'].get('name') or e['resource']['id']}: {e['reason']}"
        )
    for w in plan.warnings:
        out.print(f"[yellow]warning:[/] {w}")
    if output is not None:
        out.print(f"plan written to {output}; apply with: opsbook cleanup apply {output}")
    elif sandbox:
        out.print(
            "(the sandbox stops with this command: use `opsbook sandbox up` to plan and apply against one)"
        )


@cleanup_app.command("apply")
def apply_cmd(
    plan_file: Path = typer.Argument(..., help="A plan file from `opsbook cleanup plan -o`."),
    only: str = typer.Option(None, "--only", help="Comma list of item ids (or resource ids) to apply."),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Approve without asking (required without a terminal)."
    ),
    max_resources: int = typer.Option(
        applying.DEFAULT_MAX_RESOURCES, "--max-resources", min=1, help="Refuse plans changing more resources."
    ),
    snapshot_before_delete: bool = typer.Option(
        False, "--snapshot-before-delete", help="Snapshot each volume (and wait for it) before deleting it."
    ),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Apply exactly the plan: re-check each resource first, skip what changed, refuse protected ones.

    Journaled: rerun the same command after a crash and it resumes without acting twice. One apply per
    plan at a time: a second one exits 2 naming the holder of the plan's lock. Exit codes: 0 applied
    (skips and refusals are listed), 2 refused plan / not approved / plan locked, 3 some actions failed
    or the store failed.
    """
    load_procedures()
    plan, raw = plans.load(plan_file)
    cfg = load_checked_config(STATE.config_path)
    out = console()
    store = open_store(cfg.storage.url)

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

    def show(o: applying.Outcome) -> None:
        if fmt is not TableJson.json:
            colour = {"done": "green", "failed": "red", "refused": "red", "skipped": "yellow"}.get(
                o.result, ""
            )
            label = f"[{colour}]{o.result}[/]" if colour else o.result
            out.print(f"{o.item_id} {o.action} {o.resource}: {label} {o.reason}", soft_wrap=True)

    try:
        result = applying.apply_plan(
            plan,
            raw,
            cfg=cfg,
            store=store,
            clients_for=applying.aws_clients_for(cfg),
            options=applying.ApplyOptions(
                only=[x.strip() for x in (only or "").split(",") if x.strip()],
                max_resources=max_resources,
                snapshot_before_delete=snapshot_before_delete,
            ),
            approve=approve,
            on_outcome=show,
        )
    finally:
        store.close()
    summary: dict[str, Any] = {
        "plan_hash": result.plan_hash,
        "apply_id": result.apply_id,
        "counts": {
            r: result.count(r) for r in ("done", "resumed", "already-done", "skipped", "refused", "failed")
        },
        "outcomes": [o.__dict__ for o in result.outcomes],
        "notes": result.notes,
    }
    if fmt is TableJson.json:
        emit_json(summary)
    else:
        for note in result.notes:
            out.print(f"[yellow]note:[/] {note}", soft_wrap=True)
        counts = ", ".join(f"{n} {r}" for r, n in summary["counts"].items() if n)
        out.print(f"apply {result.apply_id}: {counts or 'nothing to do'}")
    raise typer.Exit(3 if result.count("failed") else 0)


def register(app: typer.Typer) -> None:
    app.add_typer(cleanup_app, name="cleanup")
