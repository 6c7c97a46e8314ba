"""Runs, a run's findings (filtered server-side), a finding's history, a check's page, and "run now"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from opsbook.core.checks import CHECKS, CheckSpec
from opsbook.core.models import Severity, Status
from opsbook.engine.selection import load_builtin
from opsbook.store import browse, runs
from opsbook.store.plans import audit
from opsbook.web import auth, charts
from opsbook.web.app import page, web

router = APIRouter()
RUN_NOW_SCOPES = ("daily", "weekly", "monthly", "due")  # what `opsbook run SCOPE` takes
STATUSES = [s.value for s in Status]
SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]


def specs() -> dict[str, CheckSpec]:
    load_builtin()
    return {s.id: s for s in CHECKS}


@router.get("/")
def home() -> Response:
    return RedirectResponse("/runs", status_code=303)


@router.get("/runs")
def runs_page(request: Request, scope: str = "") -> Response:
    rows = runs.list_runs(web(request).store, limit=50, scope=scope or None)
    return page(request, "runs.html", runs=rows, scope=scope, trends=trends(request, rows),
                scopes=RUN_NOW_SCOPES, jobs=web(request).jobs.recent())  # fmt: skip


@router.get("/api/runs")
def runs_json(request: Request, scope: str = "", limit: int = 50) -> list[dict[str, Any]]:
    return runs.list_runs(web(request).store, limit=min(max(limit, 1), 500), scope=scope or None)


def trends(request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per scope on the page: FAIL counts of its last 20 finished runs, oldest first, and their sparkline."""
    out = []
    for scope in sorted({r["scope"] for r in rows}):
        points = browse.fail_trend(web(request).store, scope=scope, limit=20)
        values = [n for _, n in points]
        out.append({"scope": scope, "values": values, "last": values[-1] if values else None,
                    "svg": charts.sparkline(values)})  # fmt: skip
    return out


def filtered(request: Request, run: dict[str, Any], query: dict[str, str]) -> list[dict[str, Any]]:
    """The run's findings narrowed by the page's query parameters (module docstring)."""
    store = web(request).store
    section = query.get("section", "")
    check_ids = [i for i, s in specs().items() if s.section.startswith(section)] if section else None
    uids = None
    if query.get("new"):
        before = runs.previous_run_id(store, scope=run["scope"], before=run["run_id"])
        now = runs.failing(store, run_id=run["run_id"])
        uids = set(now) - set(runs.failing(store, run_id=before) if before else {})
        query = query | {"status": query.get("status") or Status.FAIL.value}  # new = newly failing
    for name, allowed in (("status", STATUSES), ("severity", SEVERITIES)):
        if query.get(name) and query[name] not in allowed:
            raise HTTPException(400, f"{name}={query[name]!r}: expected one of {', '.join(allowed)}")
    return browse.findings(
        store, run_id=run["run_id"], status=query.get("status") or None, severity=query.get("severity") or None,
        check=query.get("check") or None, target=query.get("target") or None, check_ids=check_ids, uids=uids,
    )  # fmt: skip


FILTERS = ("status", "severity", "check", "target", "section", "new")


def _query(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "").strip() for k in FILTERS}


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: str) -> Response:
    run = browse.run_header(web(request).store, run_id=run_id)
    query = _query(request)
    found = filtered(request, run, query)
    known = specs()
    sections = sorted({s.section for s in known.values()})
    counts: dict[str, int] = {}
    for f in found:
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    return page(request, "run.html", run=run, findings=found, query=query, counts=counts, specs=known,
                statuses=STATUSES, severities=SEVERITIES, sections=sections,
                targets=browse.targets_of(web(request).store, run_id=run["run_id"]))  # fmt: skip


@router.get("/api/runs/{run_id}/findings")
def findings_json(request: Request, run_id: str) -> list[dict[str, Any]]:
    run = browse.run_header(web(request).store, run_id=run_id)
    return filtered(request, run, _query(request))


@router.get("/findings/{uid}")
def finding_page(request: Request, uid: str) -> Response:
    history = browse.finding_history(web(request).store, uid=uid)
    if not history:
        raise HTTPException(404, f"no finding {uid!r} in the store")
    return page(request, "finding.html", uid=uid, history=history, latest=history[0],
                spec=specs().get(history[0]["check_id"]))  # fmt: skip


@router.get("/checks/{check_id}")
def check_page(request: Request, check_id: str) -> Response:
    spec = specs().get(check_id)
    if spec is None:
        raise HTTPException(404, f"no check {check_id!r} (see `opsbook checks list`)")
    return page(request, "check.html", spec=spec, permissions=spec.all_permissions())


@router.post("/runs/now")
def run_now(request: Request, scope: str = Form("")) -> Response:
    """Start `opsbook run SCOPE` in the background for the signed-in user (audited)."""
    user = auth.require_user(request)
    if scope not in RUN_NOW_SCOPES:
        raise HTTPException(400, f"scope={scope!r}: expected one of {', '.join(RUN_NOW_SCOPES)}")
    state = web(request)
    args = ["run", scope, "--format", "json"] + (["--sandbox"] if state.settings.sandbox else [])
    if state.config.source and not state.settings.sandbox:
        args = ["--config", state.config.source, *args]
    busy = f"a {scope} run started from here is starting or still running"
    with state.jobs.starting("run", scope, user, args, busy) as job:  # 409 (jobs.Busy) for a second click
        audit(state.store, who=user, host="web", procedure="run", plan_hash="", apply_id="web", resource=scope,
              action="run-now", result="started", reason=f"`opsbook {' '.join(args)}` started from the web app")  # fmt: skip
        state.jobs.launch(job)
    return RedirectResponse("/runs", status_code=303)
