"""`make screenshots`: PNGs of opsbook's main pages, from a sandbox run, for a reviewer to look at.

    python -m tests.browser.screenshots [OUT_DIR]   (default docs/screenshots)

Starts the built-in sandbox on 127.0.0.1, makes the same two runs the browser tests open
(tests/browser/chromium.py) and a cleanup plan (planned only: nothing changes), and photographs in Debian's
headless Chromium the HTML report and, when the web app is installed, the dashboard (`opsbook serve`) over
that store: the runs list, a run's failing findings, a finding's history, the plans and one plan.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.browser.chromium import ReportRun, chromium_path, launch, report_run

VIEWPORT = {"width": 1280, "height": 900}


def shoot(browser: Any, url: str, out: Path, *, at: str | None = None) -> Path:
    """A viewport of `url`, scrolled to the element `at` (a CSS selector) with a little above it."""
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(url)
        if at:
            page.locator(at).first.evaluate("e => { e.scrollIntoView(); window.scrollBy(0, -90); }")
        page.screenshot(path=str(out))
    finally:
        page.close()
    print(f"wrote {out}")
    return out


def report_pages(browser: Any, run: ReportRun, out_dir: Path) -> list[Path]:
    return [
        shoot(browser, run.html.as_uri(), out_dir / "report.png"),
        shoot(browser, run.html.as_uri(), out_dir / "report-trend.png", at="#trend"),
        shoot(browser, run.html.as_uri(), out_dir / "report-findings.png", at="#findings"),
    ]


def dashboard_pages(browser: Any, sandbox: Any, run: ReportRun, out_dir: Path) -> list[Path]:
    try:
        from opsbook.web.app import create_app
        from opsbook.web.server import serving
    except ImportError:
        print("the web app is not installed (the 'web' extra): no dashboard screenshots", file=sys.stderr)
        return []
    from opsbook.cli.main import main as opsbook
    from opsbook.store import browse
    from opsbook.store.db import open_store

    work = run.html.parent
    config = sandbox.write_config(work / "opsbook.yaml", run.config.storage.url)
    plan = ["--config", str(config), "cleanup", "plan", "--kinds", "ebs", "--account", "prod"]
    if opsbook([*plan, "-o", str(work / "cleanup.json")]) != 0:
        raise RuntimeError("the cleanup plan for the plans page could not be made")
    store = open_store(run.config.storage.url)
    try:
        plan_hash = browse.list_plans(store)[0]["plan_hash"]
        uid = (run.result.diff.get("still_failing") or [run.result.findings[0].uid])[0]
        with serving(create_app(run.config, store)) as base:
            return [
                shoot(browser, f"{base}/runs", out_dir / "dashboard-runs.png"),
                shoot(browser, f"{base}/runs/{run.result.run_id}?status=fail", out_dir / "dashboard-run.png"),
                shoot(browser, f"{base}/findings/{uid}", out_dir / "dashboard-finding.png"),
                shoot(browser, f"{base}/plans", out_dir / "dashboard-plans.png"),
                shoot(browser, f"{base}/plans/{plan_hash}", out_dir / "dashboard-plan.png"),
            ]
    finally:
        store.close()


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    from opsbook.sandbox.runtime import Sandbox

    out_dir = Path(argv[0] if argv else "docs/screenshots")
    path = chromium_path()
    if not path:
        print("screenshots need Chromium: apt-get install chromium, or set OPSBOOK_CHROMIUM", file=sys.stderr)
        return 3
    out_dir.mkdir(parents=True, exist_ok=True)
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        run = report_run(sandbox, Path(tmp))
        browser = launch(pw, path)
        try:
            report_pages(browser, run, out_dir)
            dashboard_pages(browser, sandbox, run, out_dir)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
