"""`opsbook run` and `opsbook checks`: run the guide's checks and list what exists."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from opsbook.cli.common import STATE, Format, console, emit_json, known_regions, output_option, write_output
from opsbook.cli.metrics_cmd import metrics_file_option, run_metrics
from opsbook.cli.output import is_stdout, open_output, writable_directory
from opsbook.cli.progress import ProgressObserver
from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.models import Severity
from opsbook.engine import service
from opsbook.engine.selection import load_builtin, load_checked_config
from opsbook.reports import formats, model, table

SCOPES = ("daily", "weekly", "monthly", "due")
SANDBOX_DB = "sqlite:///.opsbook/sandbox.db"


@contextlib.contextmanager
def config_for(sandbox: bool) -> Iterator[Config]:
    """The user's opsbook.yaml, or a sandbox started for this one command (with --config: the sandbox's
    estate and the file's notifications; the file is read first, so a bad one fails before the sandbox
    starts)."""
    if not sandbox:
        yield load_checked_config(STATE.config_path)
        return
    from opsbook.cli.sandbox_cmd import running_sandbox

    # --config with --sandbox: the sandbox's estate, the file's notifications (read first: a bad file
    # fails before a sandbox is started)
    own = load_checked_config(STATE.config_path) if STATE.config_path else None
    with running_sandbox() as sb:
        cfg = Config.model_validate(sb.config(SANDBOX_DB)).model_copy(update={"source": "(sandbox)"})
        yield cfg.model_copy(update={"notifications": own.notifications}) if own else cfg


def write_reports(report: model.Report, directory: Path) -> list[Path]:
    """report.json, report.md and report.html (formats.WRITTEN) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in formats.WRITTEN:
        renderer = formats.get(name)
        path = directory / f"report{renderer.suffix}"
        with open_output(path) as fh:
            formats.write(name, report, fh)
        written.append(path)
    return written


def report_format(value: str) -> str:
    """typer callback for a run's `--format`: table or a registered report format."""
    if value != "table" and value not in formats.FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of table, {', '.join(formats.FORMATS)}")
    return value


FORMAT_HELP = f"table | {' | '.join(formats.FORMATS)} (docs/report-format.md)."


def run(
    scope: str = typer.Argument(
        None,
        help="daily | weekly | monthly | due. Omit when naming checks with --check.",
        show_default=False,
    ),
    check: list[str] = typer.Option([], "--check", help="Run only this check id (repeatable)."),
    day: str = typer.Option(
        None, "--day", help="weekly: the reviews of this weekday (monday...) or one review (security...)."
    ),
    part: str = typer.Option(None, "--part", help="monthly: only this part (audit, capacity, compliance)."),
    on_date: str = typer.Option(
        None, "--date", help="due: the calendar day to run (YYYY-MM-DD, default today); data is read now."
    ),
    sandbox: bool = typer.Option(
        False,
        "--sandbox",
        help="Start the built-in sandbox for this run (with --config: that file's notifications).",
    ),
    account: list[str] = typer.Option([], "--account", help="Only this account (repeatable)."),
    region: list[str] = typer.Option(
        [], "--region", help="Only this region (repeatable).", callback=known_regions
    ),
    cluster: list[str] = typer.Option([], "--cluster", help="Only this Kubernetes cluster (repeatable)."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP, callback=report_format),
    output: Path = output_option("Write the report here instead of stdout (- for stdout)."),
    fail_on: Severity = typer.Option(None, "--fail-on", help="Exit 1 on failing findings at/above this."),
    concurrency: int = typer.Option(None, "--concurrency", min=1, max=256, help="Targets run at once."),
    report_dir: Path = typer.Option(
        None,
        "--report-dir",
        help="Also write report.json, report.md, report.html and the run's exports here.",
        callback=writable_directory,
    ),
    metrics_file: Path = metrics_file_option(),
    stats: bool = typer.Option(False, "--stats", help="Show API calls per target and operation."),
    show_passing: bool = typer.Option(False, "--show-passing", help="List passing findings too (table)."),
    on: str = typer.Option(
        None,
        "--on",
        help="local (this process) | temporal (one activity per target on `opsbook worker`s; docs/temporal.md)."
        " Default: run.engine in opsbook.yaml, else local.",
        show_default=False,
    ),
    temporal: str = typer.Option(None, "--temporal", help="--on temporal: the server, HOST:PORT."),
    task_queue: str = typer.Option(None, "--task-queue", help="--on temporal: the workers' task queue."),
) -> None:
    """Run the guide's checks against every configured target and report what is wrong.

    Examples: `opsbook run daily`, `opsbook run daily --sandbox --format json`,
    `opsbook run weekly --day wednesday`, `opsbook run monthly --part capacity`,
    `opsbook run due --date 2026-12-01`, `opsbook run --check rds.cpu_high --account prod`.

    `run due` runs daily plus the day's weekly review and the month's parts, following the
    `calendar:` section of opsbook.yaml (the guide's calendar by default).

    Exit codes: 0 clean, 1 failing findings at/above --fail-on, 2 bad usage/config, 3 some targets or
    checks could not be read.
    """
    if scope is None and not check:
        raise InputError("name a scope (daily, weekly, monthly, due) or at least one --check")
    if scope is not None and scope.split(":")[0] not in SCOPES:
        raise InputError(f"unknown scope {scope!r}: expected one of {', '.join(SCOPES)}")
    base = (scope or "").split(":")[0]
    for flag, value, wanted in (
        ("--day", day, "weekly"),
        ("--part", part, "monthly"),
        ("--date", on_date, "due"),
    ):
        if value is not None and base != wanted:
            raise InputError(f"{flag} goes with `opsbook run {wanted}`")
    if on_date is not None:
        parse_date(on_date)  # a bad date fails before any sandbox or target is started
    if on not in (None, "local", "temporal"):
        raise InputError(f"--on {on!r}: expected local or temporal")
    if on == "local" and (temporal or task_queue):
        raise InputError("--temporal and --task-queue go with --on temporal")
    if check:
        from opsbook.engine.selection import select

        load_builtin()
        select(ids=check)  # unknown check ids fail here, before any sandbox or target is started
    with config_for(sandbox) as cfg:
        scopes = resolve_scopes(cfg, scope, day=day, part=part, on_date=on_date)
        request = service.RunRequest(
            scopes=scopes,
            check_ids=check,
            accounts=account,
            regions=region,
            clusters=cluster,
            concurrency=concurrency,
        )
        threshold = fail_on or cfg.run.fail_on
        where = on or cfg.run.engine
        if where == "local" and (temporal or task_queue):
            raise InputError("--temporal and --task-queue go with --on temporal (or run.engine: temporal)")
        executor = temporal_executor(cfg, temporal, task_queue) if where == "temporal" else None
        with ProgressObserver() as progress:
            result = service.run(cfg, request, observer=progress, executor=executor)
        report = model.build(result, threshold, release=True)  # result.findings are not read after this
    render(report, fmt, output, show_passing=show_passing, stats=stats)  # first: the report is never lost
    if metrics_file:  # the store is read after the report is out (and after a --sandbox has stopped)
        write_output(run_metrics(report, cfg), metrics_file)
    if report_dir:
        write_reports(report, report_dir)
        write_exports(result.extras.get("exports") or {}, report_dir, result.started_at)
    if report.store_error:  # the report above is the run's only record: say so where CI looks
        console(stderr=True).print(f"warning: {escape(report.store_error)}", soft_wrap=True)
    for d in (report.extras or {}).get("notifications", []):
        if not d["ok"]:
            text = f"warning: notification to channel {d['channel']} failed: {d['error']}"
            console(stderr=True).print(escape(text), soft_wrap=True)
    raise typer.Exit(report.exit_code)


def temporal_executor(cfg: Config, address: str | None, task_queue: str | None) -> service.Executor:
    from opsbook.temporal.connect import endpoint, require_extra

    require_extra()
    ep = endpoint(cfg, address, task_queue)
    from opsbook.temporal.run_start import temporal_executor as make

    return make(ep)


def resolve_scopes(
    cfg: Config, scope: str | None, *, day: str | None, part: str | None, on_date: str | None
) -> list[str]:
    """The scopes a command line means: `weekly --day`, `monthly --part` and `due` via the calendar."""
    from opsbook.engine import calendar

    if scope is None:
        return []
    if scope == "weekly" and day:
        scopes = calendar.weekly_scopes(cfg.calendar, day)
        if not scopes:
            raise InputError(f"no weekly review is on {day} in the calendar (see `calendar.weekly`)")
        return scopes
    if scope == "monthly" and part:
        return [calendar.monthly_scope(part)]
    if scope == "due":
        when = parse_date(on_date) if on_date else date.today()
        scopes = calendar.due_scopes(cfg.calendar, when)
        if not scopes:
            raise InputError(f"nothing is due on {when.isoformat()} (calendar.daily is off)")
        return scopes
    return [scope]


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date {text!r}: expected YYYY-MM-DD") from None


def write_exports(exports: dict[str, Any], directory: Path, started_at: datetime) -> list[Path]:
    """Each exported inventory (e.g. the Config compliance export) as its file beside the report.

    `exports` is RunResult.extras["exports"]: inventory key -> {target key: value}.
    """
    from opsbook.core import exports as registry

    written = []
    for key, per_target in sorted(exports.items()):
        name = registry.filename(key, started_at)
        doc = {"inventory": key, "generated_at": started_at.isoformat(), "targets": per_target}
        path = directory / name
        emit_json(doc, path)  # streamed: an account's IAM authorization details can be large
        written.append(path)
    return written


def render(report: model.Report, fmt: str, output: Path | None, *, show_passing: bool, stats: bool) -> None:
    if fmt in formats.FORMATS:
        with open_output(output) as fh:
            formats.write(fmt, report, fh)
    elif not is_stdout(output):
        with open_output(output) as fh:
            from rich.console import Console

            table.render(
                Console(file=fh, no_color=True, width=160), report, show_passing=show_passing, stats=stats
            )
    else:
        table.render(console(), report, show_passing=show_passing, stats=stats)


checks_app = typer.Typer(help="List and describe the checks opsbook knows.", no_args_is_help=True)


@checks_app.command("list")
def checks_list(
    scope: str = typer.Option(None, "--scope", help="Only checks of this cadence (daily, weekly:monday...)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table | json | markdown."),
) -> None:
    """Every check: id, title, guide section, cadence, severity."""
    from opsbook.core.checks import CHECKS
    from opsbook.engine.selection import matches

    load_builtin()
    specs = sorted((s for s in CHECKS if not scope or matches(s, scope)), key=lambda s: s.id)
    if scope and not specs:
        known = sorted({c for s in CHECKS for c in s.cadence})
        raise InputError(f"--scope {scope!r}: no check has this cadence (known: {', '.join(known)})")
    rows: list[dict[str, Any]] = [
        {
            "id": s.id,
            "title": s.title,
            "section": s.section,
            "cadence": list(s.cadence),
            "severity": s.severity.value,
            "target": s.target_kind.value,
            "permissions": list(s.all_permissions()),
        }
        for s in specs
    ]
    if fmt is Format.json:
        emit_json(rows)
        return
    if fmt is Format.markdown:
        lines = ["| id | title | guide section | cadence | severity |", "|---|---|---|---|---|"]
        lines += [
            f"| `{r['id']}` | {r['title']} | {r['section']} | {', '.join(r['cadence'])} | {r['severity']} |"
            for r in rows
        ]
        write_output("\n".join(lines) + "\n", None)
        return
    from rich.table import Table

    t = Table(title=f"{len(rows)} checks")
    for col in ("id", "title", "guide section", "cadence", "severity"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["id"], r["title"], r["section"], ", ".join(r["cadence"]), r["severity"])
    console().print(t)


@checks_app.command("show")
def checks_show(
    check_id: str = typer.Argument(..., help="A check id from `opsbook checks list`."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table (text) | json."),
) -> None:
    """One check in full: what it needs, its IAM permissions, every setting with its default, remediation."""
    from opsbook.core.checks import CHECKS, settings_doc
    from opsbook.core.errors import NotFound

    load_builtin()
    if check_id not in CHECKS:
        raise NotFound(f"unknown check {check_id!r} (see `opsbook checks list`)")
    s = CHECKS.get(check_id)
    doc: dict[str, Any] = {
        "id": s.id,
        "title": s.title,
        "section": s.section,
        "cadence": list(s.cadence),
        "severity": s.severity.value,
        "needs": list(s.needs),
        "permissions": list(s.all_permissions()),
        "remediation": s.remediation,
        "enabled": "yes" if s.default_enabled else "no (opt-in: checks.<id>.enabled: true)",
        "settings": settings_doc(s.settings),
    }
    if fmt is Format.json:
        emit_json(doc)
        return
    if fmt is not Format.table:
        raise InputError("--format: `checks show` writes table (text) or json")
    show_check_text(doc)


def show_check_text(doc: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    out.print(f"[bold]{escape(doc['id'])}[/bold]: {escape(doc['title'])}", soft_wrap=True)
    for label in ("section", "cadence", "severity", "needs", "permissions", "remediation", "enabled"):
        value = doc[label]
        text = ", ".join(value) if isinstance(value, list) else str(value)
        out.print(f"{label}: {escape(text)}", soft_wrap=True)
    if not doc["settings"]:
        out.print("settings: none")
        return
    t = Table(title=f"settings (checks.{doc['id']}.<name> in opsbook.yaml)")
    for col in ("name", "type", "default", "description"):
        t.add_column(col)
    for name, f in doc["settings"].items():
        default = "(required)" if f.get("required") else json.dumps(f["default"])
        t.add_row(name, f["type"], default, f.get("description", ""))
    out.print(t)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.add_typer(checks_app, name="checks")
