"""Sign in (the token from `opsbook serve --token` / $OPSBOOK_WEB_TOKEN plus a name to record) and out."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from opsbook.web import auth
from opsbook.web.app import https, page, web

router = APIRouter()


def _local(path: str) -> str:
    """Only a path on this site is followed after sign-in (no open redirect)."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else "/runs"


@router.get("/login")
def login_form(request: Request, next: str = "/runs") -> Response:
    return page(request, "login.html", next=_local(next), error="")


@router.post("/login")
def login(
    request: Request, name: str = Form(""), token: str = Form(""), next: str = Form("/runs")
) -> Response:
    state = web(request)
    name = name.strip()
    if not auth.USER_NAME.fullmatch(name):
        return page(request, "login.html", code=400, next=_local(next),
                    error="name: 1-64 letters, digits or . _ @ + -")  # fmt: skip
    tried = state.wrong_tokens.attempt(auth.peer(request), state.token, token)
    if tried.retry_after:
        said = auth.locked_out_message(tried.retry_after)
        locked = page(request, "login.html", code=429, next=_local(next), error=said)
        return auth.with_retry_after(locked, tried.retry_after)
    if not tried.ok:
        return page(request, "login.html", code=401, next=_local(next), error="wrong token")
    assert state.token is not None
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, auth.session_value(state.token, name), httponly=True,
                        samesite="strict", secure=https(request), max_age=auth.SESSION_SECONDS)  # fmt: skip
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/runs", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response
