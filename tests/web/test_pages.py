"""Every page of the web app over a store two real sandbox runs filled: the run's data shows, filters narrow,
hostile names render inert, security headers are on every response."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import EVIL, WebData


def rows(html: str, table: str) -> list[str]:
    """The text of each body row of the table with id `table`."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [re.sub(r"<[^>]+>", " ", r) for r in body.split("<tr")[1:]]


class Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def test_runs_page_lists_both_runs_with_counts_and_the_trend(client: TestClient, web_data: WebData) -> None:
    html = client.get("/runs").text
    listed = rows(html, "runs")
    assert any(web_data.first[:12] in r for r in listed) and any(web_data.second[:12] in r for r in listed)
    fails = {r["run_id"]: r["counts"].get("fail", 0) for r in client.get("/api/runs").json()}
    assert fails[web_data.second] > fails[web_data.first] > 0  # the new group fails in the second run only
    trend = rows(html, "trends")
    assert any(f"{fails[web_data.first]} {fails[web_data.second]}" in r and "&lt;svg" not in r for r in trend)
    assert "<polyline" in html  # the sparkline is markup, not escaped text (rows() strips only real tags)


def test_a_runs_findings_filter_server_side(client: TestClient, web_data: WebData) -> None:
    run = f"/api/runs/{web_data.second}/findings"
    everything = client.get(run).json()
    assert {f["check_id"] for f in everything} >= {"ec2.unused_security_groups", "drift.state_vs_live"}
    failing = client.get(run, params={"status": "fail"}).json()
    assert failing and len(failing) < len(everything) and {f["status"] for f in failing} == {"fail"}
    sg = client.get(run, params={"check": "ec2.unused_security_groups", "status": "fail"}).json()
    assert web_data.evil_sg in {f["resource"]["id"] for f in sg}
    new = client.get(run, params={"new": "1"}).json()  # failing now, not in the first run
    assert [f["resource"]["id"] for f in new if f["check_id"] == "ec2.unused_security_groups"] == [
        web_data.evil_sg
    ]
    assert all(f["status"] == "fail" for f in new) and len(new) < len(failing)
    section = client.get(run, params={"section": "Weekly Tasks / Monday"}).json()
    assert {f["check_id"] for f in section} == {"ec2.unused_security_groups"}
    target = sg[0]["target_key"]
    by_target = client.get(run, params={"target": target}).json()
    assert by_target and {f["target_key"] for f in by_target} == {target} and len(by_target) < len(everything)
    high = client.get(run, params={"severity": "high"}).json()
    assert {f["severity"] for f in high} <= {"high"} and len(high) < len(everything)
    assert client.get(run, params={"status": "bogus"}).status_code == 400
    html = client.get(f"/runs/{web_data.second}", params={"status": "fail", "check": "ec2."}).text
    shown = rows(html, "findings")
    assert len(shown) == len([f for f in failing if f["check_id"].startswith("ec2.")])
    assert 'href="/checks/ec2.unused_security_groups"' in html  # the check's docs and remediation
    assert "delete-security-group" in html


def test_hostile_names_render_escaped_everywhere(client: TestClient, web_data: WebData) -> None:
    escaped = "&lt;script&gt;alert(&#39;sg&#39;)&lt;/script&gt;"
    run = client.get(f"/runs/{web_data.second}").text
    assert EVIL not in run and escaped in run
    uid = next(f["uid"] for f in client.get(f"/api/runs/{web_data.second}/findings").json()
               if f["resource"] and f["resource"]["id"] == web_data.evil_sg)  # fmt: skip
    finding = client.get(f"/findings/{uid}").text
    assert EVIL not in finding and escaped in finding
    for html in (run, finding):
        parser = Scripts()
        parser.feed(html)
        assert parser.scripts == [{"src": "/static/app.js", "defer": None}]  # only the app's own file


def test_a_findings_history_and_a_checks_page(client: TestClient, web_data: WebData) -> None:
    first = {f["uid"]: f for f in client.get(f"/api/runs/{web_data.first}/findings").json()}
    second = {f["uid"]: f for f in client.get(f"/api/runs/{web_data.second}/findings").json()}
    uid = next(u for u in first if u in second and first[u]["status"] == "fail")
    history = rows(client.get(f"/findings/{uid}").text, "history")
    assert len(history) == 2 and web_data.second[:12] in history[0] and web_data.first[:12] in history[1]
    assert client.get("/findings/nope").status_code == 404
    check = client.get("/checks/ec2.unused_security_groups").text
    assert "Weekly Tasks / Monday" in check and "ec2:DescribeSecurityGroups" in check
    assert client.get("/checks/no.such_check").status_code == 404


def test_plans_audit_incidents_maintenance_and_drift(client: TestClient, web_data: WebData) -> None:
    from datetime import UTC, datetime, timedelta

    from opsbook.store import incidents, maintenance
    from opsbook.store.plans import audit, record_plan

    store, now = web_data.store, datetime.now(UTC)
    content = {"procedure": "cleanup", "items": [{"id": "001", "action": "delete-volume",
               "resource": {"id": "vol-<b>x</b>"}, "reason": "unattached"}]}  # fmt: skip
    record_plan(store, plan_hash="sha256:feed" + "0" * 60, procedure="cleanup", created_at=now,
                expires_at=now + timedelta(hours=1), created_by="bob@host", content=content)  # fmt: skip
    record_plan(store, plan_hash="sha256:dead" + "0" * 60, procedure="cleanup", created_at=now,
                expires_at=now + timedelta(hours=1), created_by="bob@host", content=content)  # fmt: skip
    audit(store, who="carol", host="h", procedure="cleanup", plan_hash="sha256:dead" + "0" * 60, apply_id="a1",
          resource="*", action="apply", result="refused", reason="plan expired")  # fmt: skip
    states = {p["plan_hash"][:11]: p["state"] for p in client.get("/api/plans").json()}
    assert states["sha256:feed"] == "pending" and states["sha256:dead"] == "refused"
    pending = rows(client.get("/plans", params={"state": "pending"}).text, "plans")
    assert any("feed0000" in r for r in pending) and not any("dead0000" in r for r in pending)
    assert client.get("/plans", params={"state": "bogus"}).status_code == 400  # not an empty list
    assert client.get("/api/plans", params={"state": "Pending"}).status_code == 400
    plan = client.get("/plans/sha256:feed" + "0" * 60).text
    assert "vol-&lt;b&gt;x&lt;/b&gt;" in plan and "Approve and apply" in plan
    trail = rows(client.get("/audit", params={"who": "carol"}).text, "audit")
    assert len(trail) == 1 and "plan expired" in trail[0]
    assert "Nothing recorded" in client.get("/audit", params={"who": "nobody"}).text
    assert client.get("/audit", params={"since": "yesterday"}).status_code == 400
    inc = incidents.create(store, title="API <i>down</i>", severity="SEV2", commander="dave", targets=[])
    listed = client.get("/incidents").text
    assert inc in listed and "API &lt;i&gt;down&lt;/i&gt;" in listed
    assert "Identify and assess the issue" in client.get(f"/incidents/{inc}").text
    maintenance.create_window(store, title="Node upgrade", starts_at=now + timedelta(days=1),
                              ends_at=now + timedelta(days=1, hours=2), targets=["cluster=my-cluster"],
                              channels=[], remind_before_s=60, created_by="erin", created_at=now)  # fmt: skip
    assert any("Node upgrade" in r for r in rows(client.get("/maintenance").text, "windows"))
    drift = client.get("/drift").text
    assert web_data.second[:12] in drift and rows(drift, "drift")
    assert all("drift." in r for r in rows(drift, "drift"))


def test_security_headers_on_every_response(client: TestClient, web_data: WebData) -> None:
    for path in ("/runs", f"/runs/{web_data.second}", "/plans", "/login", "/static/style.css", "/nope"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
    client.cookies.clear()  # the pages above set the CSRF cookie already: a new browser gets it from /login
    cookie = client.get("/login").headers["set-cookie"]
    assert "opsbook_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would never come back


def test_metrics_are_the_stores_newest_run_per_scope(client: TestClient, web_data: WebData) -> None:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4")
    fails = {
        f["uid"]
        for f in client.get(f"/api/runs/{web_data.second}/findings", params={"status": "fail"}).json()
    }
    series = [
        line
        for line in r.text.splitlines()
        if line.startswith("opsbook_findings{") and 'status="fail"' in line
    ]
    assert series and sum(float(line.rsplit(" ", 1)[1]) for line in series) == len(fails)
    assert all('scope="daily"' in line for line in series)


def test_a_query_parameter_of_the_wrong_type_is_400_saying_which(client: TestClient) -> None:
    r = client.get("/api/runs", params={"limit": "abc"})
    assert r.status_code == 400 and "limit: Input should be a valid integer" in r.text
    assert r.headers["x-frame-options"] == "DENY"  # an error page like any other


def test_a_store_that_breaks_while_serving_is_503_in_one_line(tmp_path: Path) -> None:
    from sqlalchemy import text

    from opsbook.core.config import Config
    from opsbook.store.db import open_store
    from opsbook.web.app import create_app

    url = f"sqlite:///{tmp_path}/broken.db"
    store = open_store(url)
    try:
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE runs"))  # as a store whose server went away mid-serve
        app = create_app(Config.model_validate({"storage": {"url": url}}), store)
        with TestClient(app, raise_server_exceptions=False) as c:
            for path in ("/runs", "/api/runs", "/drift"):
                r = c.get(path)
                assert r.status_code == 503 and "store: no such table: runs" in r.text, path
                assert "Traceback" not in r.text and r.headers["x-frame-options"] == "DENY"
    finally:
        store.close()
