"""S3 buckets of the target's region, with Intelligent-Tiering configurations, tags and daily size.

ListBuckets is account-wide (`s3.bucket_list`, scope="account": one listing per account per run); each
region target keeps the buckets whose location is its region.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import botocore.exceptions

from opsbook.collect.aws import metrics
from opsbook.collect.aws.cost_models import Bucket, BucketSize
from opsbook.collect.aws.keys import S3_BUCKETS
from opsbook.core.collectors import CollectContext, collector


def bucket_region(s3: Any, name: str) -> str:
    loc = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(loc, loc)


def tiering_ids(s3: Any, name: str) -> list[str]:
    ids: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"Bucket": name}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_bucket_intelligent_tiering_configurations(**kwargs)
        ids.extend(c["Id"] for c in page.get("IntelligentTieringConfigurationList", []))
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return ids


def bucket_tags(s3: Any, name: str) -> dict[str, str]:
    try:
        tags = s3.get_bucket_tagging(Bucket=name).get("TagSet", [])
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchTagSet":
            return {}
        raise
    return {t["Key"]: t.get("Value", "") for t in tags}


@collector("s3.bucket_list", permissions=("s3:ListAllMyBuckets",), scope="account")
def bucket_list(ctx: CollectContext) -> list[tuple[str, datetime | None]]:
    """(name, creation date) of every bucket: ListBuckets once per account, for every S3 collector."""
    return [(b["Name"], b.get("CreationDate")) for b in ctx.client("s3").list_buckets().get("Buckets", [])]


@collector(
    S3_BUCKETS,
    deps=("s3.bucket_list",),
    permissions=(
        "s3:GetBucketLocation",
        "s3:GetIntelligentTieringConfiguration",
        "s3:GetBucketTagging",
    ),
)
def buckets(ctx: CollectContext) -> list[Bucket]:
    s3 = ctx.client("s3")
    out: list[Bucket] = []
    for name, created in ctx.get("s3.bucket_list"):
        region = bucket_region(s3, name)
        if region != ctx.target.region:
            continue
        out.append(
            Bucket(
                name=name,
                region=region,
                created_at=created,
                tiering_configs=tiering_ids(s3, name),
                tags=bucket_tags(s3, name),
            )
        )
    return out


@collector("s3.bucket_sizes", permissions=("cloudwatch:GetMetricData",), deps=(S3_BUCKETS,))
def bucket_sizes(ctx: CollectContext) -> dict[str, BucketSize]:
    found: list[Bucket] = ctx.get(S3_BUCKETS)
    if not found:
        return {}
    queries = []
    for i, b in enumerate(found):
        queries.append(
            metrics.metric_query(
                f"s{i}",
                "AWS/S3",
                "BucketSizeBytes",
                {"BucketName": b.name, "StorageType": "StandardStorage"},
                "Average",
                86400,
            )
        )
        queries.append(
            metrics.metric_query(
                f"n{i}",
                "AWS/S3",
                "NumberOfObjects",
                {"BucketName": b.name, "StorageType": "AllStorageTypes"},
                "Average",
                86400,
            )
        )
    # S3 storage metrics are daily; three days back always holds the latest one
    values = metrics.fetch(ctx.client("cloudwatch"), queries, ctx.now - timedelta(days=3), ctx.now)
    return {
        b.name: BucketSize(
            standard_bytes=max(values[f"s{i}"]) if values[f"s{i}"] else None,
            objects=max(values[f"n{i}"]) if values[f"n{i}"] else None,
        )
        for i, b in enumerate(found)
    }
