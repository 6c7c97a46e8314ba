"""Mid-month: RDS storage used vs allocated and vs MaxAllocatedStorage (autoscaling off is a finding)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from opsbook.checks.aws.rds_status import db_resource
from opsbook.collect.aws.keys import RDS_INSTANCES
from opsbook.collect.aws.models import DbInstance
from opsbook.collect.aws.review_models import DbStorage
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity

GIB = 1024**3


class Settings(BaseModel):
    max_used_percent: float = Field(80.0, gt=0, le=100, description="used share of allocated storage")
    max_of_ceiling_percent: float = Field(
        80.0, gt=0, le=100, description="used share of MaxAllocatedStorage (the autoscaling ceiling)"
    )
    require_autoscaling: bool = Field(True, description="no MaxAllocatedStorage (autoscaling off) fails")


@check(
    id="rds.storage_capacity",
    title="RDS storage used vs allocated and the autoscaling ceiling",
    section="Monthly Tasks / Mid-Month: Capacity Planning",
    cadence=("monthly:capacity",),
    severity=Severity.HIGH,
    needs=(RDS_INSTANCES, "rds.storage"),
    permissions=("rds:DescribeDBInstances", "cloudwatch:GetMetricData"),
    remediation="aws rds modify-db-instance --db-instance-identifier <id> --max-allocated-storage <GiB> "
    "(turns storage autoscaling on / raises its ceiling) or --allocated-storage <GiB> --apply-immediately",
    settings=Settings,
)
def storage_capacity(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    storage: dict[str, DbStorage] = ctx["rds.storage"]
    dbs: list[DbInstance] = ctx[RDS_INSTANCES]
    for db in dbs:
        st = storage.get(db.id) or DbStorage(allocated_gb=db.allocated_storage)
        autoscaling = bool(st.max_allocated_gb and st.max_allocated_gb > st.allocated_gb)
        info: dict[str, Any] = {
            "allocated_gb": st.allocated_gb,
            "max_allocated_gb": st.max_allocated_gb,
            "autoscaling": autoscaling,
        }
        problems = []
        if s.require_autoscaling and not autoscaling:
            problems.append("storage autoscaling is off (no MaxAllocatedStorage)")
        if st.free_bytes is not None and st.allocated_gb:
            used_gb = max(st.allocated_gb - st.free_bytes / GIB, 0.0)
            used_pct = round(100.0 * used_gb / st.allocated_gb, 1)
            info |= {"used_gb": round(used_gb, 1), "used_percent": used_pct}
            if used_pct > s.max_used_percent:
                problems.append(f"{used_pct:g}% of {st.allocated_gb} GiB used (> {s.max_used_percent:g}%)")
            if autoscaling and st.max_allocated_gb:
                ceiling = round(100.0 * used_gb / st.max_allocated_gb, 1)
                info["used_of_ceiling_percent"] = ceiling
                if ceiling > s.max_of_ceiling_percent:
                    problems.append(f"{ceiling:g}% of the {st.max_allocated_gb} GiB autoscaling ceiling")
        elif not problems:
            yield ctx.skipped(
                f"{db.id}: no FreeStorageSpace datapoints in the last day", db_resource(db), **info
            )
            continue
        if problems:
            yield ctx.failed(f"{db.id}: " + "; ".join(problems), db_resource(db), **info)
        else:
            yield ctx.passed(
                f"{db.id}: {info['used_percent']:g}% of {st.allocated_gb} GiB used, autoscaling to "
                f"{st.max_allocated_gb} GiB",
                db_resource(db),
                **info,
            )
