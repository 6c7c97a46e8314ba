"""Shared by the browser tests and `make screenshots`: Debian's chromium launched by Playwright (no browser
is ever downloaded: `playwright install` is never run) and the sandbox runs whose report they open."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsbook.core.config import Config
from opsbook.engine.runner import RunResult

HOSTILE_NAMES = ('<script>alert("opsbook-script")</script>', '"><img src=x onerror=alert("opsbook-img")>')
CHECK_IDS = ["ec2.unattached_volumes", "rds.instance_not_available", "s3.no_intelligent_tiering"]


def chromium_path() -> str | None:
    return os.environ.get("OPSBOOK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright: Any, path: str) -> Any:
    """Headless Chromium at `path`; without its sandbox when we are root (containers, CI)."""
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return playwright.chromium.launch(executable_path=path, headless=True, args=args)


@dataclass
class ReportRun:
    """Two real sandbox runs of one scope in a store of their own; the second's HTML report on disk."""

    config: Config
    result: RunResult
    html: Path


def report_run(sandbox: Any, workdir: Path) -> ReportRun:
    """A first run (one check), then two unattached volumes named with HTML/JS in prod, then a run of three
    checks that finds them: its report has a trend with history and hostile names. The volumes are deleted
    once the run has read them (the sandbox may be shared)."""
    from opsbook.engine import service
    from opsbook.reports import formats, model
    from opsbook.sandbox.aws.seed import clients_for
    from opsbook.sandbox.estate import account

    raw = sandbox.config(f"sqlite:///{workdir}/opsbook.db")
    raw["checks"]["ec2.unattached_volumes"] = {"min_age_days": 0}  # the new volumes fail at once
    cfg = Config.model_validate(raw).model_copy(update={"source": "(sandbox)"})
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
    html = workdir / "report.html"
    html.write_text(formats.get("html").render(model.build(result, cfg.run.fail_on)), encoding="utf-8")
    return ReportRun(config=cfg, result=result, html=html)
