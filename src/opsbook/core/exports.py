"""Inventory a run saves as a file beside its report (the guide's `compliance-YYYYMM.json`, ...).

EXPORTS maps an inventory key to a file name pattern; `{yyyymm}` and `{date}` are filled from the run's
start. The engine keeps every exported value a run collected in `RunResult.extras["exports"]`
(key -> {target key: value}); front ends write them (`opsbook run ... --report-dir DIR`).
"""

from __future__ import annotations

from datetime import datetime

EXPORTS: dict[str, str] = {
    "config.compliance_by_rule": "compliance-{yyyymm}.json",
}


def register(key: str, pattern: str) -> None:
    """Add an export (a module that collects something the guide saves calls this at import)."""
    EXPORTS[key] = pattern


def filename(key: str, when: datetime) -> str:
    pattern = EXPORTS.get(key) or (key.replace(".", "-") + "-{yyyymm}.json")
    return pattern.format(yyyymm=when.strftime("%Y%m"), date=when.strftime("%Y%m%d"))
