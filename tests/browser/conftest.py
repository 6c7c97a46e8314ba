"""Real headless Chromium for the browser tests (tests/browser/chromium.py): one browser per test session,
a fresh page per test. Skipped, with the reason, when Chromium or Playwright is missing (`.ci/run` installs
Debian's chromium where it can)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.chromium import ReportRun, chromium_path, launch, report_run

TOKEN = "browser-test-token-0123456789"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need Playwright's Python package (the 'dev' extra)"
    )
    path = chromium_path()
    if not path:
        pytest.skip("browser tests need Chromium: apt-get install chromium, or set OPSBOOK_CHROMIUM")
    with sync_api.sync_playwright() as pw:
        chromium = launch(pw, path)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh page in its own context; dialogs (an alert a hostile value would raise) are recorded in
    `page.dialogs` and dismissed (accepted once a test sets `page.accept_dialogs`), console errors (CSP
    violations included) in `page.console_errors`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.dialogs = []
    pg.console_errors = []
    pg.accept_dialogs = False
    pg.on(
        "dialog", lambda d: (pg.dialogs.append(d.message), d.accept() if pg.accept_dialogs else d.dismiss())
    )
    pg.on(
        "console",
        lambda m: pg.console_errors.append(m.text) if m.type == "error" else None,
    )
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    pg.set_default_timeout(5000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def report(browser: Any, sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> ReportRun:
    """The report of two real runs on the session sandbox (after the browser: a skip costs no runs)."""
    return report_run(sandbox, tmp_path_factory.mktemp("browser-report"))


@pytest.fixture(scope="session")
def dashboard(report: ReportRun) -> Iterator[str]:
    """`opsbook serve`'s app over the report's store (two runs), on 127.0.0.1; yields its base URL."""
    pytest.importorskip("fastapi", reason="the dashboard needs the 'web' extra")
    from opsbook.store.db import open_store
    from opsbook.web.app import create_app
    from opsbook.web.server import serving

    store = open_store(report.config.storage.url)
    try:
        with serving(create_app(report.config, store, token=TOKEN)) as url:
            yield url
    finally:
        store.close()
