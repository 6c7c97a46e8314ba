"""S3 bucket size growth over a month: the daily BucketSizeBytes (StandardStorage) series, one batch."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.aws import metrics
from opsbook.collect.aws.cost_models import Bucket
from opsbook.collect.aws.keys import S3_BUCKETS
from opsbook.collect.aws.review_models import BucketGrowth
from opsbook.core.collectors import CollectContext, collector

WINDOW_DAYS = 32


@collector("s3.bucket_growth_30d", permissions=("cloudwatch:GetMetricData",), deps=(S3_BUCKETS,))
def bucket_growth_30d(ctx: CollectContext) -> dict[str, BucketGrowth]:
    """Per bucket of the target's region: the latest daily size and the size about 30 days before it.

    The window ends at today's midnight: S3 reports one datapoint per completed day.
    """
    found: list[Bucket] = ctx.get(S3_BUCKETS)
    if not found:
        return {}
    end = ctx.now.replace(hour=0, minute=0, second=0, microsecond=0)
    queries = [
        metrics.metric_query(
            f"s{i}",
            "AWS/S3",
            "BucketSizeBytes",
            {"BucketName": b.name, "StorageType": "StandardStorage"},
            "Average",
            86400,
        )
        for i, b in enumerate(found)
    ]
    series = metrics.fetch_series(ctx.client("cloudwatch"), queries, end - timedelta(days=WINDOW_DAYS), end)
    out: dict[str, BucketGrowth] = {}
    for i, b in enumerate(found):
        points = sorted(series[f"s{i}"])
        if not points:
            out[b.name] = BucketGrowth()
            continue
        latest_at, latest = points[-1]
        old = [v for t, v in points if t <= latest_at - timedelta(days=27)]
        out[b.name] = BucketGrowth(
            current_bytes=latest, month_ago_bytes=old[0] if old else None, datapoints=len(points)
        )
    return out
