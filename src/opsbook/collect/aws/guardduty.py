"""GuardDuty: the region's detector and its open (not archived) findings, most severe first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsbook.collect.aws.security_models import GuardDutyFinding, GuardDutyState
from opsbook.core.collectors import CollectContext, collector

MAX_FINDINGS = 1000  # the most severe; the check reports counts and the top few
BATCH = 50  # GetFindings takes at most 50 ids


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def to_finding(f: dict[str, Any]) -> GuardDutyFinding:
    return GuardDutyFinding(
        id=f["Id"],
        type=f.get("Type", ""),
        severity=float(f.get("Severity", 0.0)),
        title=f.get("Title", ""),
        resource_type=(f.get("Resource") or {}).get("ResourceType"),
        created_at=parse_time(f.get("CreatedAt")),
        updated_at=parse_time(f.get("UpdatedAt")),
        count=int((f.get("Service") or {}).get("Count") or 1),
    )


@collector(
    "guardduty.state",
    permissions=(
        "guardduty:ListDetectors",
        "guardduty:GetDetector",
        "guardduty:ListFindings",
        "guardduty:GetFindings",
    ),
)
def state(ctx: CollectContext) -> GuardDutyState:
    gd = ctx.client("guardduty")
    detectors = [
        d for page in gd.get_paginator("list_detectors").paginate() for d in page.get("DetectorIds", [])
    ]
    if not detectors:
        return GuardDutyState()
    detector = detectors[0]  # a region has at most one detector
    status = gd.get_detector(DetectorId=detector).get("Status", "ENABLED")
    if status != "ENABLED":
        return GuardDutyState(detector_id=detector, status=status)
    ids: list[str] = []
    pages = gd.get_paginator("list_findings").paginate(
        DetectorId=detector,
        FindingCriteria={"Criterion": {"service.archived": {"Equals": ["false"]}}},
        SortCriteria={"AttributeName": "severity", "OrderBy": "DESC"},
    )
    for page in pages:
        ids.extend(page.get("FindingIds", []))
        if len(ids) >= MAX_FINDINGS:
            ids = ids[:MAX_FINDINGS]
            break
    findings: list[GuardDutyFinding] = []
    for i in range(0, len(ids), BATCH):
        resp = gd.get_findings(DetectorId=detector, FindingIds=ids[i : i + BATCH])
        findings.extend(to_finding(f) for f in resp.get("Findings", []))
    findings.sort(key=lambda f: (-f.severity, f.id))
    return GuardDutyState(detector_id=detector, status=status, findings=findings)
