"""Who is asking, and whether a form post is genuine.

Users: a session cookie set by the login form (`name|expiry|signature`, the signature an HMAC of name and
expiry keyed by the token, so changing the token signs everyone out and a copied cookie stops working after
SESSION_SECONDS whatever the browser keeps), `Authorization: Bearer <token>`, or a reverse proxy's
user header from a trusted proxy address. Tokens are compared with hmac.compare_digest and never shown.

CSRF: double submit. Every page sets a random `opsbook_csrf` cookie (HttpOnly, SameSite=Strict) and puts
the same value in each form; a POST whose form field is missing or differs is refused with 403 before any
route runs. A request carrying a valid bearer token needs no CSRF field (a browser never adds that header).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.responses import Response

from opsbook.web.settings import address_key, forwarded_client, from_trusted_proxy

SESSION_COOKIE = "opsbook_session"
SESSION_SECONDS = 12 * 3600
CSRF_COOKIE = "opsbook_csrf"
CSRF_FIELD = "csrf"
USER_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
EXPIRES = re.compile(r"[0-9]{1,12}")
TOKEN_USER = "token"  # who a bearer-token request is recorded as


def sign(token: str, user: str, expires: int) -> str:
    said = f"opsbook-web-session:{user}|{expires}".encode()
    return hmac.new(token.encode(), said, hashlib.sha256).hexdigest()


def session_value(token: str, user: str, expires: int | None = None) -> str:
    """The session cookie's value for `user`, valid until `expires` (Unix time; default SESSION_SECONDS on)."""
    expires = int(time.time()) + SESSION_SECONDS if expires is None else expires
    return f"{user}|{expires}|{sign(token, user, expires)}"


def _session_user(token: str, value: str) -> str | None:
    user, _, rest = value.partition("|")
    expires, _, sig = rest.partition("|")
    if not USER_NAME.fullmatch(user) or not EXPIRES.fullmatch(expires) or int(expires) < time.time():
        return None
    return user if hmac.compare_digest(sig.encode(), sign(token, user, int(expires)).encode()) else None


def _token_matches(token: str | None, given: str) -> bool:
    return bool(token) and hmac.compare_digest(given.encode(), (token or "").encode())


@dataclass(frozen=True)
class Attempt:
    """How a token try went: `ok`, or wrong; `retry_after` > 0: refused unchecked, the peer is locked out for
    that many more seconds."""

    ok: bool
    retry_after: int = 0


class WrongTokens:
    """The one place a given token is compared with the app's (sign-in form and bearer header alike) and wrong
    ones are counted per peer (`peer()`): after LIMIT within WINDOW seconds that peer is refused, right token
    included, until its oldest counted try leaves the window, so a token cannot be guessed at network speed.
    At most PEERS peers are remembered (the oldest are forgotten first)."""

    LIMIT, WINDOW, PEERS = 10, 300.0, 10_000

    def __init__(self) -> None:
        self._tries: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, peer: str, now: float) -> list[float]:
        tries = [t for t in self._tries.get(peer, []) if now - t < self.WINDOW]
        if tries:
            self._tries[peer] = tries
        else:
            self._tries.pop(peer, None)
        return tries

    def _wait(self, tries: list[float], now: float) -> int:
        return int(tries[0] + self.WINDOW - now) + 1 if len(tries) >= self.LIMIT else 0

    def wait(self, peer: str) -> int:
        """Seconds until `peer` may try again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            return self._wait(self._recent(peer, now), now)

    def attempt(self, peer: str, token: str | None, given: str) -> Attempt:
        """Compare `given` with `token` for `peer` unless it is locked out; count it when wrong. One lock
        around all three, so parallel guesses cannot slip past the limit."""
        now = time.monotonic()
        with self._lock:
            tries = self._recent(peer, now)
            if wait := self._wait(tries, now):
                return Attempt(ok=False, retry_after=wait)
            if _token_matches(token, given):
                return Attempt(ok=True)
            self._tries[peer] = [*tries, now][-self.LIMIT :]
            while len(self._tries) > self.PEERS:
                del self._tries[next(iter(self._tries))]
            return Attempt(ok=False)


def peer(request: Request) -> str:
    """Who the wrong-token limit counts against: the connection's address; from a `--trusted-proxy`, the client
    it forwarded for (settings.forwarded_client), else all behind it would share one lockout. An IPv6
    client counts as its /64 (settings.address_key)."""
    settings = request.app.state.web.settings
    host = request.client.host if request.client else ""
    if from_trusted_proxy(settings, host):
        host = forwarded_client(settings, ",".join(request.headers.getlist("x-forwarded-for"))) or host
    return address_key(host)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


@dataclass(frozen=True)
class Decision:
    """Who this request is, decided once (by the app's middleware): `user` (None: nobody signed in);
    `bearer`: it carried the right bearer token (so it needs no CSRF field); `retry_after` > 0: it carried a
    bearer token from a locked-out peer (answered 429)."""

    user: str | None
    bearer: bool = False
    retry_after: int = 0


def decide(request: Request) -> Decision:
    """This request's Decision, made on first call and kept in request.state (the middleware calls first)."""
    made: Decision | None = getattr(request.state, "auth", None)
    if made is not None:
        return made
    web = request.app.state.web
    settings = web.settings
    proxied = None
    if settings.trust_user_header and from_trusted_proxy(settings, request.client and request.client.host):
        name = request.headers.get(settings.trust_user_header, "").strip()
        proxied = name if USER_NAME.fullmatch(name) else None
    bearer = _bearer(request) if web.token else None
    if bearer is not None:
        tried = web.wrong_tokens.attempt(peer(request), web.token, bearer)
        made = Decision(proxied or (TOKEN_USER if tried.ok else None), tried.ok, tried.retry_after)
    elif proxied:
        made = Decision(proxied)
    else:
        made = Decision(
            _session_user(web.token, request.cookies.get(SESSION_COOKIE, "")) if web.token else None
        )
    request.state.auth = made
    return made


def locked_out_message(seconds: int) -> str:
    return f"too many wrong tokens from this address: try again in {seconds} s"


def with_retry_after(response: Response, seconds: int) -> Response:
    """A locked-out peer's 429 with `Retry-After`: the seconds left in its window."""
    response.headers["Retry-After"] = str(seconds)
    return response


def current_user(request: Request) -> str | None:
    """The signed-in user of this request, or None."""
    return decide(request).user


def require_user(request: Request) -> str:
    """The user for an action; 401 when nobody is signed in."""
    user = current_user(request)
    if user is None:
        raise HTTPException(
            status_code=401, detail="sign in to do this (the token from `opsbook serve --token`)"
        )
    return user


def csrf_value(request: Request) -> str:
    """This browser's CSRF value (a new one when it has none; the middleware sets the cookie)."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = request.state.new_csrf = secrets.token_urlsafe(32)
    return value


async def csrf_guard(request: Request) -> None:
    """App-wide dependency: every POST carries the CSRF field matching its cookie (or a valid bearer token)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if decide(request).bearer:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    form = await request.form()
    field = form.get(CSRF_FIELD)
    if not cookie or not isinstance(field, str) or not hmac.compare_digest(field.encode(), cookie.encode()):
        raise HTTPException(
            status_code=403, detail="missing or wrong CSRF token: reload the page and try again"
        )
