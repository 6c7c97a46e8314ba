"""The audit trail (filtered), incidents, maintenance windows, drift, and /metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response

from opsbook.reports.metrics import render_store
from opsbook.store import browse, runs
from opsbook.store import incidents as incident_records
from opsbook.store import maintenance as maintenance_records
from opsbook.web.app import page, web

router = APIRouter()
AUDIT_FILTERS = ("who", "result", "procedure", "plan", "since", "until")


def _day(name: str, text: str, end: bool = False) -> datetime | None:
    """`YYYY-MM-DD` (or a full ISO time) as UTC; a bare date as `until` means the end of that day."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name}={text!r}: expected YYYY-MM-DD") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.replace(hour=23, minute=59, second=59) if end and len(text) == 10 else when


@router.get("/audit")
def audit_page(request: Request) -> Response:
    query = {k: request.query_params.get(k, "").strip() for k in AUDIT_FILTERS}
    rows = browse.audit_trail(
        web(request).store, who=query["who"] or None, result=query["result"] or None,
        procedure=query["procedure"] or None, plan_hash=query["plan"] or None,
        since=_day("since", query["since"]), until=_day("until", query["until"], end=True),
    )  # fmt: skip
    return page(request, "audit.html", rows=rows, query=query)


@router.get("/incidents")
def incidents_page(request: Request, status: str = "") -> Response:
    if status and status not in incident_records.STATUSES:
        raise HTTPException(400, f"status={status!r}: expected one of {', '.join(incident_records.STATUSES)}")
    found = incident_records.list_incidents(web(request).store, status=status or None)
    return page(request, "incidents.html", incidents=list(reversed(found)), status=status,
                statuses=incident_records.STATUSES)  # fmt: skip


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, incident_id: str) -> Response:
    incident = incident_records.get(web(request).store, incident_id=incident_id)
    return page(request, "incident.html", incident=incident.as_dict())


@router.get("/maintenance")
def maintenance_page(request: Request) -> Response:
    found = [w.as_dict() for w in maintenance_records.windows(web(request).store)]
    return page(request, "maintenance.html", windows=found)


@router.get("/drift")
def drift_page(request: Request) -> Response:
    """The drift checks' findings of the newest run that ran them (what is not as Terraform left it)."""
    store = web(request).store
    latest = runs.runs_with_checks(store, prefix="drift.", limit=1)
    found: list[dict[str, Any]] = []
    run = None
    if latest:
        run = browse.run_header(store, run_id=latest[0][0])
        found = [
            f for f in browse.findings(store, run_id=run["run_id"], check="drift.") if f["status"] != "pass"
        ]
    return page(request, "drift.html", run=run, findings=found)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    text = render_store(web(request).store)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")
