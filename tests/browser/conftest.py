"""Real headless Chromium for the browser tests: Debian's `chromium` (or $OPSBOOK_CHROMIUM) driven by
Playwright's Python package; no browser is ever downloaded (`playwright install` is never run).

One browser per test session; every test gets its own page. Skipped, with the reason, when Chromium or
Playwright is missing (`.ci/run` installs Debian's chromium where it can).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.engine.runner import RunResult


def chromium_path() -> str | None:
    return os.environ.get("OPSBOOK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need Playwright's Python package (the 'dev' extra)"
    )
    path = chromium_path()
    if not path:
        pytest.skip("browser tests need Chromium: apt-get install chromium, or set OPSBOOK_CHROMIUM")
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, headless=True, args=args)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh page in its own context; dialogs (an alert a hostile value would raise) are recorded in
    `page.dialogs` and dismissed, console errors in `page.console_errors`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.dialogs = []
    pg.console_errors = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    pg.set_default_timeout(5000)
    yield pg
    context.close()


HOSTILE_NAMES = ('<script>alert("opsbook-script")</script>', '"><img src=x onerror=alert("opsbook-img")>')
CHECK_IDS = ["ec2.unattached_volumes", "rds.instance_not_available", "s3.no_intelligent_tiering"]


@dataclass
class ReportRun:
    """Two real sandbox runs of one scope in a throwaway store; the second's HTML report on disk."""

    config: Config
    result: RunResult
    html: Path


@pytest.fixture(scope="session")
def report_run(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> ReportRun:
    """A first run (one check), then two unattached volumes named with HTML/JS in prod, then a run of three
    checks that finds them: the report has a trend for the check with history and hostile names. The volumes
    are deleted before any test runs (the session sandbox is shared)."""
    from opsbook.engine import service
    from opsbook.reports import formats, model
    from opsbook.sandbox.aws.seed import clients_for
    from opsbook.sandbox.estate import account

    tmp = tmp_path_factory.mktemp("browser-report")
    raw = sandbox.config(f"sqlite:///{tmp}/opsbook.db")
    raw["checks"]["ec2.unattached_volumes"] = {"min_age_days": 0}  # the new volumes fail at once
    cfg = Config.model_validate(raw).model_copy(update={"source": "(test)"})
    service.run(cfg, service.RunRequest(check_ids=CHECK_IDS[:1], accounts=["prod"], label="browser"))
    ec2 = clients_for(sandbox.aws_url, account("prod"))("ec2")
    made = [
        ec2.create_volume(
            AvailabilityZone="us-east-1a",
            Size=1,
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}],
        )["VolumeId"]
        for name in HOSTILE_NAMES
    ]
    try:
        result = service.run(cfg, service.RunRequest(check_ids=CHECK_IDS, accounts=["prod"], label="browser"))
    finally:
        for volume_id in made:
            ec2.delete_volume(VolumeId=volume_id)
    html = tmp / "report.html"
    html.write_text(formats.get("html").render(model.build(result, cfg.run.fail_on)), encoding="utf-8")
    return ReportRun(config=cfg, result=result, html=html)
