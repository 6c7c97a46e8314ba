"""Run one registered check on a hand-built inventory: no servers, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsbook.core.checks import CHECKS, CheckContext
from opsbook.core.models import Finding, Status, Target, TargetKind
from opsbook.engine.selection import load_builtin

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
AWS = Target(kind=TargetKind.AWS, account="prod", account_id="333333333333", region="us-east-1")


def run_check(
    check_id: str,
    inventory: dict[str, Any],
    settings: dict[str, Any] | None = None,
    target: Target = AWS,
    now: datetime | None = None,
) -> list[Finding]:
    load_builtin()
    spec = CHECKS.get(check_id)
    ctx = CheckContext(
        spec=spec,
        target=target,
        inventory=inventory,
        settings=spec.settings.model_validate(settings or {}),
        now=now or NOW,
    )
    return list(spec.fn(ctx))


def by_status(findings: list[Finding]) -> dict[Status, list[Finding]]:
    out: dict[Status, list[Finding]] = {s: [] for s in Status}
    for f in findings:
        out[f.status].append(f)
    return out
