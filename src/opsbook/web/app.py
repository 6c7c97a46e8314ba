"""The web app: `create_app(config, store, token=None, settings=...)` builds it; pages live in pages_*.py.

Server-rendered Jinja2 templates (autoescape on) over the same store functions the CLI uses; one static CSS
and one small JS file, no inline script (the CSP forbids it). Every response carries the security headers
below; who is asking is decided once per request (auth.decide, in the middleware); every POST passes
auth.csrf_guard first.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError

from opsbook.core.config import Config
from opsbook.core.errors import NotFound, one_line
from opsbook.store.db import Store
from opsbook.web import auth
from opsbook.web.jobs import Busy, Jobs
from opsbook.web.settings import WebSettings, from_trusted_proxy

HERE = Path(__file__).parent
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
OPEN_PATHS = ("/login", "/static/", "/healthz")  # reachable without sign-in when reads are not public


@dataclass
class WebState:
    config: Config
    store: Store
    token: str | None
    settings: WebSettings
    jobs: Jobs
    templates: Jinja2Templates
    wrong_tokens: auth.WrongTokens = field(default_factory=auth.WrongTokens)
    _plan_dir: Path | None = None

    @property
    def plan_dir(self) -> Path:
        """Where approved plans are written for their apply (made on first use)."""
        if self._plan_dir is None:
            self._plan_dir = Path(tempfile.mkdtemp(prefix="opsbook-web-plans-"))
        return self._plan_dir


def create_app(
    config: Config, store: Store, token: str | None = None, settings: WebSettings | None = None
) -> FastAPI:
    settings = settings or WebSettings()
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    state = WebState(
        config=config,
        store=store,
        token=token or None,
        settings=settings,
        jobs=Jobs(settings.workdir),
        templates=Jinja2Templates(env=env),
    )
    app = FastAPI(
        title="opsbook",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(auth.csrf_guard)],
    )
    app.state.web = state
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def guard_and_headers(request: Request, call_next: Any) -> Response:
        path = request.url.path
        who = auth.decide(request)  # the one decision about this request's token (auth.decide)
        response: Response
        if who.retry_after:
            said = auth.locked_out_message(who.retry_after)
            response = auth.with_retry_after(
                page(request, "error.html", code=429, message=said), who.retry_after
            )
        elif not settings.public_reads and not path.startswith(OPEN_PATHS) and who.user is None:
            response = page(request, "login.html", code=401, next=back_to(request), error="")
        else:
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers[name] = value
        new = getattr(request.state, "new_csrf", None)
        if new and not request.cookies.get(auth.CSRF_COOKIE):
            response.set_cookie(
                auth.CSRF_COOKIE, new, httponly=True, samesite="strict", secure=https(request)
            )
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 401:
            return page(request, "login.html", code=401, next=back_to(request), error=str(exc.detail))
        return page(request, "error.html", code=exc.status_code, message=str(exc.detail))

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> Response:
        """A second "run now" / "approve" while the first is starting or running (a double click): 409."""
        return page(request, "error.html", code=409, message=str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return page(request, "error.html", code=404, message=str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        """A query parameter of the wrong type (`/api/runs?limit=abc`) is 400 with what was wrong, not 422."""
        said = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())
        return page(request, "error.html", code=400, message=said)

    @app.exception_handler(SQLAlchemyError)
    async def store_failed(request: Request, exc: SQLAlchemyError) -> Response:
        """The store went away or broke while serving (server down, table missing): 503 and one line, as
        the CLI says it (store.db.store_errors), instead of a 500 and a traceback in the log."""
        cause = one_line(getattr(exc, "orig", None) or exc) or type(exc).__name__
        return page(request, "error.html", code=503, message=f"store: {cause}")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from opsbook.web import pages_auth, pages_ops, pages_plans, pages_runs, pages_schedule

    for module in (pages_runs, pages_plans, pages_ops, pages_schedule, pages_auth):
        app.include_router(module.router)
    return app


def https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS: directly, or through a trusted proxy that says so."""
    via_proxy = from_trusted_proxy(web(request).settings, request.client and request.client.host)
    return request.url.scheme == "https" or (
        via_proxy and request.headers.get("x-forwarded-proto") == "https"
    )


def back_to(request: Request) -> str:
    """Where the login form leads after sign-in: this page (with its filters) for a GET; for a form post
    (run now, approve) the page the form was on, from the Referer, as the post's own URL answers no GET."""
    url = request.url if request.method == "GET" else urlsplit(request.headers.get("referer") or "/runs")
    return (url.path or "/runs") + (f"?{url.query}" if url.query else "")  # a path only: never off-site


def web(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def page(request: Request, name: str, *, code: int = 200, **context: Any) -> HTMLResponse:
    """Render template `name` with the signed-in user and this browser's CSRF value."""
    state = web(request)
    context |= {
        "user": auth.current_user(request),
        "csrf": auth.csrf_value(request),
        "can_sign_in": bool(state.token),
        "proxy_auth": bool(state.settings.trust_user_header),
    }
    return state.templates.TemplateResponse(request, name, context, status_code=code)
