"""Guessing the token: after WrongTokens.LIMIT wrong tries (sign-in form or bearer header) a peer is refused,
even with the right token, until the window has passed; another peer is not affected."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opsbook.core.config import Config
from opsbook.store.db import open_store
from opsbook.web import auth
from opsbook.web.app import create_app
from opsbook.web.settings import WebSettings
from tests.web.conftest import TOKEN


def test_a_peer_guessing_the_token_is_refused_for_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    try:
        config = Config.model_validate({"storage": {"url": f"sqlite:///{tmp_path}/s.db"}})
        app = create_app(config, store, token=TOKEN, settings=WebSettings(public_reads=False))
        with TestClient(app) as c:
            c.get("/login")
            csrf = c.cookies["opsbook_csrf"]

            def login(token: str) -> int:
                form = {"name": "mallory", "token": token, "csrf": csrf}
                return c.post("/login", data=form, follow_redirects=False).status_code

            assert [login(f"guess-{i}") for i in range(auth.WrongTokens.LIMIT - 1)] == [401] * 9
            bearer = {"Authorization": "Bearer guess-x"}
            assert c.get("/api/runs", headers=bearer).status_code in (401, 303)  # the 10th wrong try
            assert login(TOKEN) == 429  # refused even with the right token
            assert (
                "try again in 301 s"
                in c.post("/login", data={"name": "m", "token": TOKEN, "csrf": csrf}).text
            )
            ok = {"Authorization": f"Bearer {TOKEN}"}
            before = c.get("/api/runs", headers=ok).status_code
            assert app.state.web.wrong_tokens.wait("otherhost") == 0  # another peer may try
            clock[0] += auth.WrongTokens.WINDOW + 1
            assert login(TOKEN) == 303 and c.get("/api/runs", headers=ok).status_code == 200 != before
    finally:
        store.close()


def _app(tmp_path: Path, settings: WebSettings) -> tuple[TestClient, auth.WrongTokens]:
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    config = Config.model_validate({"storage": {"url": f"sqlite:///{tmp_path}/s.db"}})
    app = create_app(config, store, token=TOKEN, settings=settings)
    return TestClient(app, base_url="http://127.0.0.1"), app.state.web.wrong_tokens


def test_each_request_counts_one_wrong_bearer_and_a_locked_out_one_gets_429_with_retry_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    client, wrong = _app(tmp_path, WebSettings())
    with client as c:
        c.get("/login")
        csrf = c.cookies["opsbook_csrf"]
        bad = {"Authorization": "Bearer guess"}
        # a post that renders the sign-in page asks who the user is more than once: still one wrong try
        for n in range(1, auth.WrongTokens.LIMIT):
            assert c.post("/runs/now", data={"scope": "daily", "csrf": csrf}, headers=bad).status_code == 401
            assert len(wrong._tries["testclient"]) == n
        assert c.get("/runs", headers=bad).status_code == 200  # the 10th (pages are open on loopback)
        assert len(wrong._tries["testclient"]) == auth.WrongTokens.LIMIT
        clock[0] += 60
        for r in (c.get("/runs", headers={"Authorization": f"Bearer {TOKEN}"}),
                  c.post("/login", data={"name": "m", "token": TOKEN, "csrf": csrf})):  # fmt: skip
            assert r.status_code == 429 and r.headers["Retry-After"] == "241", r.text
        assert len(wrong._tries["testclient"]) == auth.WrongTokens.LIMIT  # refusals are not counted
        assert c.get("/runs").status_code == 200  # no token: pages still open on loopback


def test_a_valid_bearer_skips_csrf_but_a_wrong_one_does_not(tmp_path: Path) -> None:
    client, wrong = _app(tmp_path, WebSettings())
    with client as c:
        ok = {"Authorization": f"Bearer {TOKEN}"}
        assert c.post("/runs/now", data={"scope": "nope"}, headers=ok).status_code == 400  # past CSRF
        bad = {"Authorization": "Bearer guess"}
        assert c.post("/runs/now", data={"scope": "nope"}, headers=bad).status_code == 403
        assert len(wrong._tries["testclient"]) == 1


def test_behind_a_trusted_proxy_the_forwarded_client_is_locked_out_not_the_proxy(tmp_path: Path) -> None:
    proxied = WebSettings(trust_user_header="X-Forwarded-User", trusted_proxies=("testclient", "10.0.0.6"))
    client, wrong = _app(tmp_path, proxied)
    with client as c:
        c.get("/login")
        csrf = c.cookies["opsbook_csrf"]

        def login(token: str, forwarded: str) -> int:
            form = {"name": "m", "token": token, "csrf": csrf}
            headers = {"X-Forwarded-For": forwarded}
            return c.post("/login", data=form, headers=headers, follow_redirects=False).status_code

        # what the client wrote itself (left of the proxies' entries) changes nothing: one client
        guesses = [
            login("guess", f"192.0.2.{i}, 203.0.113.7, 10.0.0.6") for i in range(auth.WrongTokens.LIMIT)
        ]
        assert guesses == [401] * auth.WrongTokens.LIMIT and list(wrong._tries) == ["203.0.113.7"]
        assert login(TOKEN, "203.0.113.7") == 429
        assert login(TOKEN, "198.51.100.9") == 303  # another client behind the same proxy
        for i in range(auth.WrongTokens.LIMIT):
            login("guess", f"2001:db8::{i + 1}")  # an IPv6 host changing its address within its /64
        assert login(TOKEN, "2001:db8::ffff") == 429 and login(TOKEN, "2001:db8:0:1::1") == 303
        assert wrong.wait("2001:db8::/64") > 0


def test_the_forwarded_client_is_the_last_entry_that_is_not_a_trusted_proxy() -> None:
    from opsbook.web.settings import address_key, forwarded_client

    trusted = WebSettings(trust_user_header="X-U", trusted_proxies=("10.0.0.5", "10.0.0.6"))
    assert forwarded_client(trusted, "9.9.9.9, 1.1.1.1, 10.0.0.6") == "1.1.1.1"
    assert forwarded_client(trusted, "10.0.0.6,10.0.0.5") is None  # only proxies: the peer counts
    assert forwarded_client(trusted, "9.9.9.9, not-an-address") is None
    assert forwarded_client(trusted, "") is None
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1" and address_key("2001:db8::1") == "2001:db8::/64"
