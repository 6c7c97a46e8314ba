"""The Schedule page (docs/schedule.md): each cadence's cron, time zone, next start, and its last slot with
the run it started; then the newest slots recorded (started, skipped, failed, interrupted)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from opsbook.core.errors import ConfigError
from opsbook.engine.scheduler import overview
from opsbook.store import schedule
from opsbook.web.app import page, web

router = APIRouter()


def _view(request: Request) -> dict[str, Any]:
    state = web(request)
    try:
        rows = overview(state.config, state.store, datetime.now(UTC))
        problem = ""
    except ConfigError as exc:  # `serve` without --schedule does not check the calendar first
        rows, problem = [], str(exc)
    return {"cadences": rows, "timezone": state.config.calendar.timezone, "problem": problem,
            "running_here": state.settings.scheduling}  # fmt: skip


@router.get("/schedule")
def schedule_page(request: Request) -> Response:
    fires = [f.as_dict() for f in schedule.recent(web(request).store, limit=50)]
    return page(request, "schedule.html", fires=fires, **_view(request))


@router.get("/api/schedule")
def schedule_json(request: Request) -> dict[str, Any]:
    return _view(request) | {"recent": [f.as_dict() for f in schedule.recent(web(request).store, limit=50)]}
