"""The JSON report: documented and stable (see docs/report-format.md). Version bumps on breaking change."""

from __future__ import annotations

import platform
from typing import Any

from opsbook import __version__
from opsbook.core.events import MAINTENANCE_KEY
from opsbook.core.models import Finding, Severity, Status
from opsbook.engine.runner import RunResult

REPORT_VERSION = 1


def counts(findings: list[Finding]) -> dict[str, Any]:
    by_status = {s.value: 0 for s in Status}
    by_sev = {s.value: 0 for s in Severity}
    for f in findings:
        by_status[f.status.value] += 1
        if f.status is Status.FAIL:
            by_sev[f.severity.value] += 1
    return {"by_status": by_status, "failing_by_severity": by_sev}


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "uid": f.uid,
        "check_id": f.check_id,
        "status": f.status.value,
        "severity": f.severity.value,
        "target": f.target.model_dump(mode="json", exclude_none=True) | {"key": f.target.key},
        "resource": f.resource.model_dump(mode="json", exclude_none=True) if f.resource else None,
        "message": f.message,
        "details": f.details,
        "remediation": f.remediation,
        **({"proposal": f.proposal.model_dump(mode="json")} if f.proposal else {}),
        # expected: the target is inside this active maintenance window (not paged)
        **({"expected_in_window": f.details[MAINTENANCE_KEY]} if MAINTENANCE_KEY in f.details else {}),
    }


def build(result: RunResult, fail_on: Severity) -> dict[str, Any]:
    findings = result.findings
    # exported inventory is written as its own files (`--report-dir`); the report only names it
    extras = {k: v for k, v in result.extras.items() if k != "exports"}
    if result.extras.get("exports"):
        extras["exports"] = sorted(result.extras["exports"])
    return {
        "report_version": REPORT_VERSION,
        "opsbook_version": __version__,
        "run_id": result.run_id,
        "scope": result.scope,
        "status": result.status,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat() if result.finished_at else None,
        "exit_code": result.exit_code(fail_on),
        "fail_on": fail_on.value,
        "targets": [
            {
                "key": o.target.key,
                "error": o.error,
                "seconds": round(o.seconds, 3),
                "findings": len(o.findings),
            }
            for o in result.outcomes
        ],
        "summary": counts(findings),
        "store_error": result.store_error,
        "changes": {"previous_run_id": result.previous_run_id, **result.diff},
        "findings": [finding_dict(f) for f in findings],
        "stats": {"api_calls": result.api_calls, "host": platform.node()},
        **({"extras": extras} if extras else {}),
    }
