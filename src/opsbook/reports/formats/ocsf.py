"""`--format ocsf`: every finding as an OCSF Detection Finding (class 2004, category Findings), a JSON array.

For security data lakes (Security Lake, SIEMs). The schema version is VERSION, written in each event's
`metadata.version`, with the `cloud` profile (so `cloud.provider` is always set: opsbook's estate is AWS).
The mapping is the table in docs/report-format.md; what OCSF has no field for (the target key, the check's
details, the proposal, the change since the previous run) goes under `unmapped`. The array is streamed,
one event at a time, so a run of many findings is never held as one string.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any, TextIO

from opsbook.core.models import Severity, Status
from opsbook.reports.model import Report, ReportFinding

suffix = ".ocsf.json"
media_type = "application/json"

VERSION = "1.5.0"
CLASS_UID, CATEGORY_UID = 2004, 2
PROFILES = ["cloud"]
SEVERITY_ID = {Severity.INFO: 1, Severity.LOW: 2, Severity.MEDIUM: 3, Severity.HIGH: 4, Severity.CRITICAL: 5}
SEVERITY_NAME = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
# status_id (the finding's state): New, Suppressed (in a maintenance window), Resolved, or Other
STATUS = {Status.FAIL: (1, "New"), Status.PASS: (4, "Resolved"),
          Status.ERROR: (99, "Error"), Status.SKIPPED: (99, "Skipped")}  # fmt: skip
SUPPRESSED = (3, "Suppressed")
ACTIVITY = {1: "Create", 2: "Update", 3: "Close"}


def _checks() -> dict[str, tuple[str, str]]:
    """check id -> (title, guide section) from the registry."""
    from opsbook.core.checks import CHECKS
    from opsbook.engine.selection import load_builtin

    load_builtin()
    return {spec.id: (spec.title, spec.section) for spec in CHECKS}


def _millis(iso: str | None) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000) if iso else 0


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def resource(f: ReportFinding) -> dict[str, Any]:
    """The affected resource, or the target itself for a target-wide finding (always one, so it validates)."""
    t = f.target
    if not f.resource:
        name = t.cluster or t.stack or t.account or t.key
        return _drop_empty(
            {"uid": t.key, "name": name, "type": f"opsbook {t.kind} target", "region": t.region}
        )
    res, rid = f.resource, f.resource_id
    arn = res.get("arn")
    return _drop_empty({"uid": arn or rid, "uid_alt": rid if arn else None, "name": res.get("name") or rid,
                        "type": res.get("type"), "region": t.region})  # fmt: skip


def activity_id(f: ReportFinding, change: str) -> int:
    """Close for a pass, Update for a finding still failing since the previous run, else Create."""
    if f.status == Status.PASS:
        return 3
    return 2 if change == "still_failing" else 1


def event(
    report: Report, f: ReportFinding, change: str, checks: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """One Detection Finding; `change` is the finding's Report.change_labels() entry ('' when none)."""
    title, section = checks.get(f.check_id, (f.check_id, ""))
    status_id, status = (
        SUPPRESSED if f.status == Status.FAIL and f.expected_in_window is not None else STATUS[f.status]
    )
    act = activity_id(f, change)
    sev = SEVERITY_ID[f.severity]
    t = f.target
    account = _drop_empty({"uid": t.account_id, "name": t.account})
    analytic = {"uid": f.check_id, "name": title, "type_id": 1, "type": "Rule"}
    return _drop_empty({
        "class_uid": CLASS_UID, "class_name": "Detection Finding",
        "category_uid": CATEGORY_UID, "category_name": "Findings",
        "activity_id": act, "activity_name": ACTIVITY[act],
        "type_uid": CLASS_UID * 100 + act, "type_name": f"Detection Finding: {ACTIVITY[act]}",
        "severity_id": sev, "severity": SEVERITY_NAME[sev],
        "status_id": status_id, "status": status, "status_code": f.status.upper(),
        "is_alert": status_id == 1,
        "time": _millis(report.started_at),
        "message": f.message,
        "finding_info": _drop_empty({"uid": f.uid, "title": title, "desc": f.message,
                                     "types": [section] if section else None, "analytic": analytic}),
        "resources": [resource(f)],
        "cloud": _drop_empty({"provider": "AWS", "account": account or None, "region": t.region}),
        "remediation": {"desc": f.remediation} if f.remediation else None,
        "metadata": {
            "version": VERSION, "profiles": PROFILES, "uid": f"{report.run_id}/{f.uid}",
            "correlation_uid": report.run_id, "event_code": f.check_id, "labels": [f"scope:{report.scope}"],
            "product": {"name": "opsbook", "vendor_name": "opsbook", "version": report.opsbook_version},
        },
        "unmapped": _drop_empty({"target": t.key, "cluster": t.cluster, "stack": t.stack, "details": f.details,
                                 "proposal": f.proposal, "change": change,
                                 "expected_in_window": f.expected_in_window}),
    })  # fmt: skip


def write(report: Report, fh: TextIO) -> None:
    """The JSON array onto `fh`, one event at a time (formats.write prefers this to render)."""
    checks, changes = _checks(), report.change_labels()
    fh.write("[")
    for i, f in enumerate(report.findings):
        fh.write(",\n" if i else "\n")
        fh.write(json.dumps(event(report, f, changes.get(f.uid, ""), checks), default=str))
    fh.write("\n]\n" if report.findings else "]\n")


def render(report: Report) -> str:
    buf = io.StringIO()
    write(report, buf)
    return buf.getvalue()
