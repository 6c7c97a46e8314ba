"""`opsbook cleanup plan|apply`: the guide's cost cleanup through plan -> approve -> apply.

`plan` only reads; `apply` changes only what the plan lists, after approval. A sandbox shared by both:
`opsbook sandbox up --config-out sb.yaml`, then `opsbook --config sb.yaml cleanup plan ...` / `apply ...`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from opsbook.cli.common import (
    TableJson,
    known_regions,
    output_option,
)
from opsbook.cli.procedures_cmd import apply_cmd, finish_plan
from opsbook.cli.run_cmd import config_for
from opsbook.core.errors import InputError
from opsbook.engine import cleanup

cleanup_app = typer.Typer(help="Cost cleanup (guide: Cost Optimization) with plan -> approve -> apply.")


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
        finish_plan(plan, cfg.storage.url, output, fmt, sandbox)


cleanup_app.command("apply", help="Same as `opsbook apply PLAN` (kept for cleanup plans).")(apply_cmd)


def register(app: typer.Typer) -> None:
    app.add_typer(cleanup_app, name="cleanup")
