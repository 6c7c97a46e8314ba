"""Mid-month: S3 bucket sizes and their growth over the last month (CloudWatch storage metrics)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from opsbook.collect.aws.cost_models import Bucket
from opsbook.collect.aws.keys import S3_BUCKETS
from opsbook.collect.aws.review_models import BucketGrowth
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity

GIB = 1024**3


class Settings(BaseModel):
    max_growth_percent: float = Field(25.0, ge=0, description="growth over ~30 days above this fails")
    min_size_gib: float = Field(1.0, ge=0, description="buckets smaller than this are not judged on growth")


@check(
    id="s3.bucket_growth",
    title="S3 bucket size and month-over-month growth",
    section="Monthly Tasks / Mid-Month: Capacity Planning",
    cadence=("monthly:capacity",),
    severity=Severity.LOW,
    needs=(S3_BUCKETS, "s3.bucket_growth_30d"),
    permissions=("s3:ListAllMyBuckets", "s3:GetBucketLocation", "cloudwatch:GetMetricData"),
    remediation="aws s3 ls --summarize --recursive s3://<bucket> | tail -2; add lifecycle rules "
    "(expire or transition old objects) or Intelligent-Tiering",
    settings=Settings,
)
def bucket_growth(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    growth: dict[str, BucketGrowth] = ctx["s3.bucket_growth_30d"]
    buckets: list[Bucket] = ctx[S3_BUCKETS]
    for b in buckets:
        res = Resource(id=b.name, type="AWS::S3::Bucket", arn=f"arn:aws:s3:::{b.name}")
        g = growth.get(b.name, BucketGrowth())
        if g.current_bytes is None:
            yield ctx.skipped(f"{b.name}: no BucketSizeBytes datapoints in the last month", res)
            continue
        size_gib = round(g.current_bytes / GIB, 2)
        info: dict[str, Any] = {
            "size_gib": size_gib,
            "datapoints": g.datapoints,
            "threshold_percent": s.max_growth_percent,
        }
        if g.month_ago_bytes is None:
            yield ctx.passed(f"{b.name}: {size_gib:g} GiB (less than a month of history)", res, **info)
            continue
        pct = (
            round(100.0 * (g.current_bytes - g.month_ago_bytes) / g.month_ago_bytes, 1)
            if g.month_ago_bytes
            else None
        )
        info |= {"month_ago_gib": round(g.month_ago_bytes / GIB, 2), "growth_percent": pct}
        change = f"{pct:+g}%" if pct is not None else "new data"
        msg = f"{b.name}: {size_gib:g} GiB, {change} over the month"
        if size_gib >= s.min_size_gib and (pct is None or pct > s.max_growth_percent):
            yield ctx.failed(f"{msg} (> {s.max_growth_percent:g}%)", res, **info)
        else:
            yield ctx.passed(msg, res, **info)
