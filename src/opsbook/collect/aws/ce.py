"""Cost Explorer (an account-wide API: collected in the account's first region only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from opsbook.collect.aws.models import CostAnomaly
from opsbook.core.collectors import CollectContext, collector


def anomalies_since(ctx: CollectContext, days: int) -> list[CostAnomaly] | None:
    if not getattr(ctx, "primary_region", True):
        return None
    start = (ctx.now - timedelta(days=days)).date().isoformat()
    end = ctx.now.date().isoformat()
    ce = ctx.client("ce")
    out: list[CostAnomaly] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"DateInterval": {"StartDate": start, "EndDate": end}}
        if token:
            kwargs["NextPageToken"] = token
        page = ce.get_anomalies(**kwargs)
        for a in page.get("Anomalies", []):
            causes = a.get("RootCauses") or [{}]
            impact = a.get("Impact", {})
            out.append(
                CostAnomaly(
                    id=a["AnomalyId"],
                    start=a.get("AnomalyStartDate", ""),
                    end=a.get("AnomalyEndDate"),
                    total_impact=float(impact.get("TotalImpact", 0.0)),
                    max_impact=float(impact.get("MaxImpact", 0.0)),
                    score=(a.get("AnomalyScore") or {}).get("CurrentScore"),
                    service=causes[0].get("Service"),
                    region=causes[0].get("Region"),
                    monitor_arn=a.get("MonitorArn"),
                )
            )
        token = page.get("NextPageToken")
        if not token:
            return out


@collector("ce.anomalies_1d", permissions=("ce:GetAnomalies",))
def anomalies_1d(ctx: CollectContext) -> list[CostAnomaly] | None:
    return anomalies_since(ctx, 1)
