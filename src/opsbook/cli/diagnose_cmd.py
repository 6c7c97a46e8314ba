"""`opsbook diagnose`: the guide's Emergency Procedures' diagnostics in one bundle directory plus a summary
(engine/diagnose.py); `opsbook incident diagnose ID` collects the same for an incident's targets."""

from __future__ import annotations

from pathlib import Path

import typer

from opsbook.cli.common import TableJson, console, emit_json, known_regions


def diagnose(
    out: Path = typer.Option(..., "--output", "-o", help="A new or empty directory for the bundle."),
    cluster: list[str] = typer.Option([], "--cluster", help="A cluster to diagnose (repeatable)."),
    account: list[str] = typer.Option([], "--account", help="An account to diagnose (repeatable)."),
    region: list[str] = typer.Option(
        [], "--region", callback=known_regions, help="Only this region (repeatable)."
    ),
    service: list[str] = typer.Option(
        [],
        "--service",
        help="NAMESPACE/DEPLOYMENT or a label selector (app=myapp): its pods' logs too (repeatable).",
    ),
    since: str = typer.Option(
        "1h", "--since", help="How far back changes count (CloudTrail, rollouts): 1h, 30m, 2d."
    ),
    sandbox: bool = typer.Option(False, "--sandbox", help="Start the built-in sandbox for this command."),
    fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json."),
) -> None:
    """Collect the emergency diagnostics (top nodes, pods by node, describe + events of unhealthy nodes and
    pods, recent logs of failing pods, rollout history, alarms in ALARM, RDS status and CPU, CloudTrail
    write events) into one directory, one JSON and one text file per item, plus summary.md/summary.json.
    Without --cluster/--account: every configured cluster and account. Exit 0 all collected, 2 bad
    input, 3 some source could not be read (noted in the summary; the rest is collected)."""
    from opsbook.cli.run_cmd import config_for
    from opsbook.engine import diagnose as dg
    from opsbook.engine.cleanup import parse_duration
    from opsbook.engine.diagnose_bundle import check_out_dir

    window = parse_duration(since, "--since")
    scope = dg.DiagnoseScope(tuple(cluster), tuple(account), tuple(region), tuple(service))
    dg.check_services(scope.services)
    check_out_dir(out)  # bad input exits 2 before a sandbox or a target is touched
    err = console(stderr=True)
    with config_for(sandbox) as cfg:
        summary = dg.diagnose(cfg, scope, out, since=window,
                              progress=lambda line: err.print(line, markup=False, soft_wrap=True))  # fmt: skip
    if fmt is TableJson.json:
        emit_json(summary.as_dict())
    else:
        c = console()
        for title, rows, key in (("Headline problems", summary.headlines, "problem"),
                                 ("Recent changes", summary.changes, "change")):  # fmt: skip
            c.print(f"[bold]{title}[/]")
            for row in rows or [{"target": "-", key: "none found"}]:
                c.print(f"  {row['target']}: {row[key]}", markup=False, soft_wrap=True)
        for f in summary.failed:
            c.print(f"[red]not collected[/] {f['target']}: {f['source']}: {f['error']}", soft_wrap=True)
        c.print(f"bundle: {out} ({summary.collected} items; summary.md)", markup=False, soft_wrap=True)
    raise typer.Exit(0 if summary.complete else 3)


def register(app: typer.Typer) -> None:
    app.command("diagnose")(diagnose)
