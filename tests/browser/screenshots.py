"""`make screenshots`: PNGs of opsbook's main pages, from a sandbox run, for a reviewer to look at.

    python -m tests.browser.screenshots [OUT_DIR]   (default docs/screenshots)

Starts the built-in sandbox on 127.0.0.1, makes the same two runs the browser tests open
(tests/browser/chromium.py) and photographs the HTML report in Debian's headless Chromium.
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
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
