"""Monday: GuardDuty findings by severity, the top ones, and what is new since last week."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from opsbook.collect.aws.security_models import GuardDutyState
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity

BANDS = {"critical": Severity.CRITICAL, "high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW}


class Settings(BaseModel):
    min_severity: float = Field(
        4.0, ge=0, le=10, description="findings at or above this (GuardDuty's 0-10 scale) fail"
    )
    new_days: int = Field(7, ge=1, description="a finding created or updated within this many days is new")
    top: int = Field(5, ge=1, le=50, description="how many findings to name in the details")


@check(
    id="guardduty.findings",
    title="GuardDuty findings by severity",
    section="Weekly Tasks / Monday: Security Review",
    cadence=("weekly:monday",),
    severity=Severity.HIGH,
    needs=("guardduty.state",),
    permissions=(
        "guardduty:ListDetectors",
        "guardduty:GetDetector",
        "guardduty:ListFindings",
        "guardduty:GetFindings",
    ),
    remediation="aws guardduty list-findings --detector-id <id>; investigate, then archive or suppress; "
    "enable GuardDuty where it is off: aws guardduty create-detector --enable",
    settings=Settings,
)
def guardduty_findings(ctx: CheckContext) -> Iterable[Finding]:
    gd: GuardDutyState = ctx["guardduty.state"]
    s = ctx.settings
    region = ctx.target.region or ""
    if gd.detector_id is None:
        yield ctx.failed(
            f"GuardDuty is not enabled in {region}",
            Resource(id=f"guardduty:{region}", type="AWS::GuardDuty::Detector"),
            None,
            api_enabled=False,
        )
        return
    res = Resource(id=gd.detector_id, type="AWS::GuardDuty::Detector")
    if gd.status != "ENABLED":
        yield ctx.failed(
            f"GuardDuty detector {gd.detector_id} is {gd.status}",
            res,
            None,
            api_enabled=False,
            status=gd.status,
        )
        return
    since = ctx.now - timedelta(days=s.new_days)
    by_band = Counter(f.label for f in gd.findings)
    new = [f for f in gd.findings if f.created_at and f.created_at >= since]
    updated = [f for f in gd.findings if f not in new and f.updated_at and f.updated_at >= since]
    bad = [f for f in gd.findings if f.severity >= s.min_severity]
    info = {
        "total": len(gd.findings),
        "by_severity": {k: by_band.get(k, 0) for k in BANDS},
        "new_since": since.isoformat(),
        "new": len(new),
        "updated": len(updated),
        "top": [
            {"id": f.id, "type": f.type, "severity": f.severity, "title": f.title, "new": f in new}
            for f in gd.findings[: s.top]
        ],
        "min_severity": s.min_severity,
    }
    if not bad:
        yield ctx.passed(
            f"{len(gd.findings)} GuardDuty findings, none at severity {s.min_severity:g}+", res, **info
        )
        return
    worst = max(bad, key=lambda f: f.severity)
    counts = ", ".join(f"{by_band[k]} {k}" for k in BANDS if by_band.get(k))
    yield ctx.failed(
        f"{len(bad)} GuardDuty findings at severity {s.min_severity:g}+ ({counts}; {len(new)} new this week); "
        f"worst: {worst.type} ({worst.severity:g})",
        res,
        BANDS[worst.label],
        **info,
    )
