"""The web app's actions: CSRF on every POST, sign-in before any action, "run now" starts a real run recorded
in the store, "approve" applies a real plan as the signed-in user; reads behind sign-in off loopback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from opsbook.core.config import load_config
from opsbook.store import browse, runs
from opsbook.store.db import open_store
from opsbook.web import auth
from opsbook.web.app import create_app
from opsbook.web.settings import WebSettings
from tests.web.conftest import TOKEN, WebData, sign_in, write_config


def routes(items: Any) -> list[Any]:
    """Every route of the app, also those of included routers (newer FastAPI wraps them)."""
    out = []
    for r in items:
        inner = getattr(r, "original_router", None)
        out += routes(inner.routes) if inner is not None else [r]
    return out


def test_every_post_without_or_with_a_wrong_csrf_value_is_403(client: TestClient, web_data: WebData) -> None:
    posts = [r.path for r in routes(client.app.routes) if "POST" in (getattr(r, "methods", None) or ())]  # type: ignore[attr-defined]
    assert {"/login", "/logout", "/runs/now", "/plans/{plan_hash}/approve"} <= set(posts)
    csrf = sign_in(client)
    before = len(browse.audit_trail(web_data.store))
    for path in posts:
        url = path.replace("{plan_hash}", "sha256:x")
        assert client.post(url, data={"scope": "daily"}).status_code == 403, url
        assert client.post(url, data={"scope": "daily", "csrf": csrf + "x"}).status_code == 403, url
    assert len(browse.audit_trail(web_data.store)) == before  # nothing was done


def test_actions_need_sign_in(client: TestClient, web_data: WebData) -> None:
    client.get("/runs")
    csrf = client.cookies["opsbook_csrf"]
    before = len(browse.audit_trail(web_data.store))
    r = client.post("/runs/now", data={"scope": "daily", "csrf": csrf})
    assert r.status_code == 401 and "Sign in" in r.text
    assert 'name="next" value="/runs"' in r.text  # not /runs/now, which answers no GET (404 after sign-in)
    back = client.post("/plans/sha256:x/approve", data={"csrf": csrf},
                       headers={"Referer": "http://127.0.0.1/plans/sha256:x?from=list"})  # fmt: skip
    assert 'name="next" value="/plans/sha256:x?from=list"' in back.text  # back to the form's page
    assert client.post("/plans/sha256:x/approve", data={"csrf": csrf}).status_code == 401
    wrong = client.post("/login", data={"name": "mallory", "token": TOKEN[:-1], "csrf": csrf})
    assert wrong.status_code == 401 and TOKEN not in wrong.text
    assert client.post("/runs/now", data={"scope": "daily", "csrf": csrf}).status_code == 401
    assert len(browse.audit_trail(web_data.store)) == before
    for stale in (auth.session_value(TOKEN, "alice", expires=int(time.time()) - 1),  # expired, genuinely signed
                  auth.session_value(TOKEN, "alice").replace("|", "|9", 1),  # expiry moved on: signature wrong
                  "alice|" + "9" * 40 + "|x"):  # fmt: skip
        client.cookies.set(auth.SESSION_COOKIE, stale)
        assert client.post("/runs/now", data={"scope": "daily", "csrf": csrf}).status_code == 401, stale
    client.cookies.set(auth.SESSION_COOKIE, auth.session_value(TOKEN, "alice"))
    assert ">alice<" in client.get("/runs").text  # a fresh one signs in
    client.cookies.delete(auth.SESSION_COOKIE)
    # headers arrive as Latin-1: a superscript digit is no expiry (int() would raise)
    assert auth._session_user(TOKEN, "alice|²|x") is None
    assert len(browse.audit_trail(web_data.store)) == before
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/runs/now", data={"scope": "nope"}, headers=bearer).status_code == 400  # signed in


def test_reads_need_sign_in_off_loopback_and_a_trusted_proxy_names_the_user(web_data: WebData) -> None:
    closed = WebSettings(public_reads=False)
    with TestClient(create_app(web_data.config, web_data.store, token=TOKEN, settings=closed)) as c:
        assert c.get("/runs").status_code == 401 and c.get("/api/runs").status_code == 401
        assert 'name="next" value="/runs?scope=daily"' in c.get("/runs", params={"scope": "daily"}).text
        assert c.get("/static/style.css").status_code == 200
        sign_in(c, "bob")
        page = c.get("/runs")
        assert page.status_code == 200 and ">bob<" in page.text
    proxied = WebSettings(
        public_reads=False, trust_user_header="X-Forwarded-User", trusted_proxies=("testclient",)
    )
    with TestClient(create_app(web_data.config, web_data.store, settings=proxied)) as c:
        assert c.get("/runs").status_code == 401
        assert ">carol<" in c.get("/runs", headers={"X-Forwarded-User": "carol"}).text
        c.cookies.clear()
        cookie = c.get("/login", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]
        assert "opsbook_csrf=" in cookie and "Secure" in cookie  # TLS ended at the trusted proxy
    untrusted = WebSettings(
        public_reads=False, trust_user_header="X-Forwarded-User", trusted_proxies=("10.9.9.9",)
    )
    with TestClient(create_app(web_data.config, web_data.store, settings=untrusted)) as c:
        assert c.get("/runs", headers={"X-Forwarded-User": "carol"}).status_code == 401


def test_run_now_starts_a_run_recorded_in_the_store(sandbox: Any, tmp_path: Path) -> None:
    from opsbook.core.checks import CHECKS
    from opsbook.engine.selection import load_builtin, matches

    load_builtin()
    keep = {"rds.instance_not_available", "cloudwatch.alarms_in_alarm"}  # a short daily run
    off = {s.id: {"enabled": False} for s in CHECKS if matches(s, "daily") and s.id not in keep}
    cfg = load_config(write_config(sandbox, tmp_path, checks=off))
    store = open_store(cfg.storage.url)
    try:
        with TestClient(create_app(cfg, store, token=TOKEN)) as c:
            csrf = sign_in(c, "alice")
            assert (
                c.post("/runs/now", data={"scope": "daily", "csrf": csrf}, follow_redirects=False).status_code
                == 303
            )
            job = c.app.state.web.jobs.recent()[0]  # type: ignore[attr-defined]
            assert job.done.wait(240), "the run did not finish"
            assert job.exit_code in (0, 1), job.error
            (run,) = runs.list_runs(store)
            assert run["scope"] == "daily" and run["status"] == "complete" and sum(run["counts"].values()) > 0
            checks = {f["check_id"] for f in browse.findings(store, run_id=run["run_id"])}
            assert checks == keep
            (started,) = browse.audit_trail(store, who="alice")
            assert started["action"] == "run-now" and started["resource"] == "daily"
            assert "alice" in c.get("/runs").text  # the job list names who started it
    finally:
        store.close()


DEP = "/apis/apps/v1/namespaces/production/deployments/my-app"


def test_approve_applies_a_pending_plan_as_the_signed_in_user(
    kube_cluster: Any, tmp_path: Path, capsys: Any
) -> None:
    from opsbook.cli.main import main
    from tests.cli.test_scale_deployment import read

    server, kube_cfg = kube_cluster
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(kube_cfg.model_dump(mode="json", exclude={"source"})), encoding="utf-8")
    before = read(server, DEP)["spec"]["replicas"]
    plan_file = tmp_path / "scale.json"
    assert main(["--config", str(config), "plan", "scale-deployment", "--cluster", "my-cluster", "--deployment",
                 "production/my-app", "--replicas", str(before + 1), "-o", str(plan_file), "-f", "json"]) == 0  # fmt: skip
    cfg = load_config(config)
    store = open_store(cfg.storage.url)
    try:
        (plan,) = browse.list_plans(store)
        assert plan["state"] == "pending"
        url = f"/plans/{plan['plan_hash']}/approve"
        with TestClient(create_app(cfg, store, token=TOKEN)) as c:
            c.get(f"/plans/{plan['plan_hash']}")
            assert c.post(url, data={"csrf": c.cookies["opsbook_csrf"]}).status_code == 401
            assert browse.get_plan(store, plan_hash=plan["plan_hash"])["state"] == "pending"
            csrf = sign_in(c, "alice")
            assert c.post(url, data={"csrf": csrf}, follow_redirects=False).status_code == 303
            job = c.app.state.web.jobs.recent()[0]  # type: ignore[attr-defined]
            assert job.done.wait(240), "the apply did not finish"
            assert job.exit_code == 0, job.error
            assert list(c.app.state.web.plan_dir.iterdir()) == []  # type: ignore[attr-defined]  # its copy removed
            assert c.post(url, data={"csrf": csrf}).status_code == 409  # applied: nothing left to approve
            page = c.get(f"/plans/{plan['plan_hash']}").text
        done = browse.get_plan(store, plan_hash=plan["plan_hash"])
        assert done["state"] == "applied" and {j["state"] for j in done["journal"]} == {"done"}
        trail = browse.audit_trail(store, plan_hash=plan["plan_hash"])
        assert {a["who"] for a in trail} == {"alice"} and "approved" in {a["result"] for a in trail}
        assert read(server, DEP)["spec"]["replicas"] == before + 1
        assert 'id="plan-state">applied<' in page
    finally:
        store.close()
