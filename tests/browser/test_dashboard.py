"""The dashboard (`opsbook serve`) in headless Chromium, over the store of the report's two sandbox runs: the
runs list loads with its trend, a run's filters narrow its findings, a finding's page shows its history, HTML
in names stays text, and approving a plan takes the token (without: refused; with: applied as that user)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from opsbook.core.models import Status
from tests.browser.chromium import HOSTILE_NAMES, ReportRun
from tests.browser.conftest import TOKEN

pytestmark = pytest.mark.browser

ROWS = "#findings tbody tr"


def visit(page: Any, base: str, path: str) -> list[str]:
    """Open `path`; returns every URL the page requested (collected as it goes)."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(base + path)
    return requested


def test_the_runs_list_loads_with_its_trend(page: Any, report: ReportRun, dashboard: str) -> None:
    requested = visit(page, dashboard, "/runs")
    assert all(u.startswith(dashboard + "/") for u in requested), requested  # nothing fetched from elsewhere
    links = [a.get_attribute("href") for a in page.locator("#runs tbody tr td:first-child a").all()]
    assert len(links) == 2 and links[0].startswith(f"/runs/{report.result.run_id}")  # newest first
    trend = page.locator("#trends tbody tr", has_text="browser")
    assert trend.locator("svg").count() == 1 and trend.locator("svg").bounding_box()["width"] > 0
    assert page.console_errors == []  # a CSP violation (inline script or style) would be reported here


def test_a_runs_filters_narrow_its_findings(page: Any, report: ReportRun, dashboard: str) -> None:
    visit(page, dashboard, f"/runs/{report.result.run_id}")
    findings = report.result.findings
    assert page.locator(ROWS).count() == len(findings)
    page.select_option("#filters select[name=status]", "fail")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**status=fail**")
    statuses = page.locator(f"{ROWS} td:first-child").all_inner_texts()
    assert statuses == ["fail"] * sum(f.status is Status.FAIL for f in findings)
    page.fill("#filters input[name=check]", "s3.")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**check=s3.**")
    checks = page.locator(f"{ROWS} td:nth-child(3) a").all_inner_texts()
    failing_s3 = [f for f in findings if f.status is Status.FAIL and f.check_id.startswith("s3.")]
    assert checks == [f.check_id for f in failing_s3] and checks
    page.fill("#filters input[name=check]", "")
    page.check("#filters input[name=new]")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**new=1**")
    assert page.locator(ROWS).count() == len(report.result.diff["new"]) > 0


def test_a_findings_page_shows_its_history(page: Any, report: ReportRun, dashboard: str) -> None:
    visit(page, dashboard, f"/runs/{report.result.run_id}?status=fail&check=ec2.")
    page.get_by_role("link", name="orphaned-data").click()  # failing in both runs
    page.wait_for_url("**/findings/**")
    uid = page.url.rsplit("/", 1)[1]
    assert uid in report.result.diff["still_failing"]
    runs = [a.get_attribute("href") for a in page.locator("#history tbody tr td:first-child a").all()]
    assert runs[1:] and runs[0] == f"/runs/{report.result.run_id}" and len(runs) == 2  # newest first
    for name in HOSTILE_NAMES:  # the hostile names: links whose text is the name, nothing run
        visit(page, dashboard, f"/runs/{report.result.run_id}?status=fail")
        page.get_by_role("link", name=name, exact=True).click()
        page.wait_for_url("**/findings/**")
        assert name in page.locator("h1 + p").inner_text()
    assert page.locator("img").count() == 0 and page.dialogs == [] and page.console_errors == []


REGION = "us-west-2"  # no seeded volumes there: the plan deletes only the test's own


def test_approving_a_plan_takes_the_token(page: Any, sandbox: Any, tmp_path: Path) -> None:
    from opsbook.cli.main import main
    from opsbook.core.config import load_config
    from opsbook.sandbox.aws.seed import clients_for
    from opsbook.sandbox.estate import account
    from opsbook.store import browse
    from opsbook.store.db import open_store
    from opsbook.web.app import create_app
    from opsbook.web.server import serving

    raw = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")
    raw["checks"]["ec2.unattached_volumes"] = {"min_age_days": 0}
    raw["aws"]["default_regions"] = [REGION]
    config = tmp_path / "opsbook.yaml"
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    ec2 = clients_for(sandbox.aws_url, account("dev"), REGION)("ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
    cfg = load_config(config)
    store = open_store(cfg.storage.url)
    app = create_app(cfg, store, token=TOKEN)
    try:
        plan_args = ["cleanup", "plan", "--kinds", "ebs", "--account", "dev", "--region", REGION]
        assert main(["--config", str(config), *plan_args, "-o", str(tmp_path / "plan.json")]) == 0
        (plan,) = browse.list_plans(store)
        with serving(app) as base:
            page.accept_dialogs = True  # "Apply these N steps?"
            visit(page, base, f"/plans/{plan['plan_hash']}")
            page.click("form.approve button[type=submit]")
            page.wait_for_selector("form.login")  # refused: sign in first
            assert browse.get_plan(store, plan_hash=plan["plan_hash"])["state"] == "pending"
            assert browse.audit_trail(store, plan_hash=plan["plan_hash"]) == []
            page.fill("form.login input[name=name]", "alice")
            page.fill("form.login input[name=token]", TOKEN[:-1])  # a wrong token is refused too
            page.click("form.login button[type=submit]")
            assert "wrong token" in page.locator(".error").inner_text()
            page.fill("form.login input[name=name]", "alice")
            page.fill("form.login input[name=token]", TOKEN)
            page.click("form.login button[type=submit]")
            page.goto(f"{base}/plans/{plan['plan_hash']}")
            page.click("form.approve button[type=submit]")
            page.wait_for_url(f"**/plans/{plan['plan_hash']}")
            job = app.state.web.jobs.recent()[0]
            assert job.done.wait(120) and job.exit_code == 0, job.error
            page.reload()
            assert page.locator("#plan-state").inner_text() == "applied"
        assert len(page.dialogs) == 2 and all(d.startswith("Apply these") for d in page.dialogs)
        assert browse.get_plan(store, plan_hash=plan["plan_hash"])["state"] == "applied"
        trail = browse.audit_trail(store, plan_hash=plan["plan_hash"])
        assert {a["who"] for a in trail} == {"alice"} and "approved" in {a["result"] for a in trail}
        assert [v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]] == []  # deleted by the apply
    finally:
        store.close()
        if any(v["VolumeId"] == volume for v in ec2.describe_volumes()["Volumes"]):
            ec2.delete_volume(VolumeId=volume)
