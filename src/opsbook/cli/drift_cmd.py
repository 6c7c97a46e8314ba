"""`opsbook drift detect|report|ignore|ignores|unignore`: the guide's Friday drift review (docs/drift.md)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from opsbook.cli.common import STATE, Format, TableJson, console, emit_json, write_output
from opsbook.cli.progress import ProgressObserver
from opsbook.cli.run_cmd import SANDBOX_DB, config_for, render
from opsbook.core.drift import KINDS, Ignore, ignores_path, load_ignores, save_ignores
from opsbook.core.errors import InputError, NotFound
from opsbook.core.models import Severity
from opsbook.engine import service
from opsbook.engine.drift import build_report, check_instances, detect_request
from opsbook.engine.selection import load_checked_config
from opsbook.reports import model
from opsbook.reports.drift import render_markdown

app = typer.Typer(help="Friday's drift review: detect drift, report it, ignore accepted drift for a while.")
SANDBOX = typer.Option(False, "--sandbox", help="Start the built-in sandbox for this command.")


def _kinds(text: str | None) -> list[str] | None:
    """The kinds --kind names; None without it (detect_request picks the configured ones)."""
    if text is None:
        return None
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    if not kinds:
        raise InputError(f"--kind: name at least one of {', '.join(KINDS)}")
    return kinds


@app.command("detect")
def detect(
    stack: list[str] = typer.Option([], "--stack", "-s", help="Only this stack (repeatable)."),
    component: list[str] = typer.Option([], "--component", "-c", help="Only this component (repeatable)."),
    kind: str = typer.Option(
        None, "--kind", help="plan,live,unmanaged (default: every kind the config enables)."
    ),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table | json | markdown."),
    fail_on: Severity = typer.Option(Severity.LOW, "--fail-on", help="Exit 1 on drift at/above this."),
    show_passing: bool = typer.Option(False, "--show-passing", help="List the clean instances too (table)."),
    sandbox: bool = SANDBOX,
) -> None:
    """Run the drift checks (the guide's `atmos workflow drift-detection`) and record the run for the report.

    Exit codes as `opsbook run`: 0 no drift, 1 drift at/above --fail-on (default low: any), 2 bad usage,
    3 a plan or target could not be checked (ERROR findings)."""
    kinds = _kinds(kind)
    with config_for(sandbox) as base:
        cfg, ids = detect_request(base, kinds, stack, component)
        request = service.RunRequest(check_ids=ids, label="drift")
        with ProgressObserver() as progress:
            result = service.run(cfg, request, observer=progress)
        report = model.build(result, fail_on, release=True)
    render(report, fmt.value, None, show_passing=show_passing, stats=False)
    raise typer.Exit(report.exit_code)


@app.command("report")
def report(
    out: Path = typer.Option(
        Path(".atmos"), "--out", help="Directory for drift-report-YYYYMMDD.json and .md."
    ),
    sandbox: bool = typer.Option(False, "--sandbox", help="Read the sandbox's run history."),
) -> None:
    """Write the drift report of the latest drift run: new / still drifting / resolved since the previous
    one (last Friday's), grouped by stack and component; ignored drift listed apart."""
    from opsbook.store.db import open_store

    cfg = load_checked_config(STATE.config_path, required=not sandbox)
    store = open_store(SANDBOX_DB if sandbox else cfg.storage.url)
    try:
        doc = build_report(store)
    finally:
        store.close()
    stamp = doc["run_started_at"][:10].replace("-", "")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create it: {exc.strerror or exc}") from None
    path = out / f"drift-report-{stamp}.json"
    emit_json(doc, path)
    write_output(render_markdown(doc), path.with_suffix(".md"))
    c = doc["counts"]
    console(stderr=True).print(
        f"{path} (+ .md): {c['new']} new, {c['still_drifting']} still drifting, {c['resolved']} resolved, "
        f"{c['errors']} errors, {c['ignored']} ignored",
        highlight=False,
        soft_wrap=True,
    )


def _ignores_file() -> Path:
    return ignores_path(load_checked_config(STATE.config_path, required=False))


def _until(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--until {text!r}: expected a date, YYYY-MM-DD") from None
    if day < datetime.now(UTC).date():
        raise InputError(f"--until {text}: the date is in the past; an ignore needs an expiry to come")
    return day


@app.command("ignore")
def ignore(
    address: str = typer.Argument(..., help="The resource address, e.g. terraform_data.db."),
    stack: str = typer.Option(..., "--stack", "-s", help="The stack it drifts in."),
    attribute: str = typer.Option(None, "--attribute", help="Only this attribute (default: all of them)."),
    until: str = typer.Option(..., "--until", help="Last day it is ignored (YYYY-MM-DD); drift again after."),
    reason: str = typer.Option(..., "--reason", help="Why the drift is accepted for now."),
) -> None:
    """Accept a drift for a while: its findings are SKIPPED with the reason until the date, then drift again."""
    day = _until(until)
    if not reason.strip():
        raise InputError("--reason: say why the drift is accepted")
    cfg = load_checked_config(STATE.config_path, required=False)
    if cfg.stacks:  # a typo'd stack would be an ignore that never matches
        check_instances(cfg, [stack], [])
    path = ignores_path(cfg)
    entry = Ignore(address=address, stack=stack, attribute=attribute, until=day, reason=reason.strip(),
                   added=datetime.now(UTC).date())  # fmt: skip
    kept = [i for i in load_ignores(path) if (i.stack, i.address, i.attribute) != (stack, address, attribute)]
    save_ignores(path, [*kept, entry])
    what = f"{address}{f' {attribute}' if attribute else ''} in {stack}"
    console(stderr=True).print(f"ignored {what} until {day} ({path})", highlight=False, soft_wrap=True)


@app.command("ignores")
def ignores(fmt: TableJson = typer.Option(TableJson.table, "--format", "-f", help="table | json.")) -> None:
    """The ignores file: every ignore, expired ones marked."""
    path = _ignores_file()
    now = datetime.now(UTC)
    rows = [i.model_dump(mode="json") | {"active": i.active(now)} for i in load_ignores(path)]
    if fmt is TableJson.json:
        write_output(json.dumps({"file": str(path), "ignores": rows}, indent=2) + "\n", None)
        return
    lines = [f"{path}: {len(rows)} ignore(s)"]
    for r in rows:
        state = "" if r["active"] else " (expired: drift again)"
        attr = f" {r['attribute']}" if r["attribute"] else ""
        lines.append(f"{r['stack']}  {r['address']}{attr}  until {r['until']}{state}  {r['reason']}")
    write_output("\n".join(lines) + "\n", None)


@app.command("unignore")
def unignore(
    address: str = typer.Argument(..., help="The resource address."),
    stack: str = typer.Option(..., "--stack", "-s", help="The stack."),
    attribute: str = typer.Option(None, "--attribute", help="The attribute the ignore names, if any."),
) -> None:
    """Remove an ignore: its drift is reported again from the next run."""
    path = _ignores_file()
    found = load_ignores(path)
    kept = [i for i in found if (i.stack, i.address, i.attribute) != (stack, address, attribute)]
    if len(kept) == len(found):
        raise NotFound(f"{path}: no ignore of {address} in {stack}{f' ({attribute})' if attribute else ''}")
    save_ignores(path, kept)
    console(stderr=True).print(f"removed the ignore of {address} in {stack}", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="drift")
