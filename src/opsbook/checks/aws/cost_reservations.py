"""Thursday: Reserved Instance utilisation over the last 7 days under a threshold."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.collect.aws.review_models import ReservationUtilization
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    min_utilization_percent: float = Field(80.0, ge=0, le=100, description="utilisation under this fails")


@check(
    id="ce.reservation_utilization",
    title="Reserved Instance utilisation over the last 7 days",
    section="Weekly Tasks / Thursday: Cost Review",
    cadence=("weekly:thursday",),
    severity=Severity.MEDIUM,
    needs=("ce.reservation_utilization_7d",),
    permissions=("ce:GetReservationUtilization",),
    remediation="aws ce get-reservation-utilization --time-period Start=<7 days ago>,End=<today> "
    "--group-by Type=DIMENSION,Key=SUBSCRIPTION_ID; move workloads onto the reserved types, exchange "
    "convertible RIs, or sell standard RIs on the marketplace",
    settings=Settings,
)
def reservation_utilization(ctx: CheckContext) -> Iterable[Finding]:
    ri: ReservationUtilization | None = ctx["ce.reservation_utilization_7d"]
    if ri is None:
        return
    limit = ctx.settings.min_utilization_percent
    res = Resource(
        id=f"reservations:{ctx.target.account_id or ctx.target.account}", type="AWS::CE::Reservations"
    )
    info = ri.model_dump(exclude={"has_reservations"}) | {"threshold": limit}
    if not ri.has_reservations or ri.utilization_percent is None:
        yield ctx.passed(f"no Reserved Instances between {ri.start} and {ri.end}", res, **info)
    elif ri.utilization_percent < limit:
        yield ctx.failed(
            f"Reserved Instances {ri.utilization_percent:.1f}% utilised (< {limit:g}%): "
            f"{ri.unused_hours:,.0f} of {ri.purchased_hours:,.0f} hours unused",
            res,
            **info,
        )
    else:
        yield ctx.passed(f"Reserved Instances {ri.utilization_percent:.1f}% utilised", res, **info)
