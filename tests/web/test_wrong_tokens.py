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
