"""Thursday: Cost Explorer anomalies of the last 7 days above an impact threshold."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.aws.cost_anomalies import Settings, judge
from opsbook.collect.aws.models import CostAnomaly
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity


@check(
    id="ce.weekly_cost_anomalies",
    title="Cost anomalies in the last 7 days",
    section="Weekly Tasks / Thursday: Cost Review",
    cadence=("weekly:thursday",),
    severity=Severity.MEDIUM,
    needs=("ce.anomalies_7d",),
    permissions=("ce:GetAnomalies",),
    remediation="aws ce get-anomalies --date-interval StartDate=<7 days ago>,EndDate=<today>; "
    "open each in Cost Explorer and follow its root cause",
    settings=Settings,
)
def weekly_cost_anomalies(ctx: CheckContext) -> Iterable[Finding]:
    found: list[CostAnomaly] | None = ctx["ce.anomalies_7d"]
    if found is None:
        return
    yield from judge(ctx, found, "the last 7 days")
