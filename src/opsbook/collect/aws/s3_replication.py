"""Replication of the buckets the config marks critical (S3 is global: first region only).

The bucket names (or glob patterns) come from the check's settings, read raw here so that collectors do
not import checks; the default lives here and the check's Settings uses the same constant.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import botocore.exceptions

from opsbook.collect.aws.security_models import BucketReplication
from opsbook.core.collectors import CollectContext, collector

REPLICATION_CHECK = "s3.critical_bucket_replication"
DEFAULT_CRITICAL = ("my-bucket", "my-bucket-*")


def critical_patterns(ctx: CollectContext) -> list[str]:
    raw = (getattr(ctx.config, "checks", None) or {}).get(REPLICATION_CHECK) or {}
    return list(raw.get("critical_buckets", DEFAULT_CRITICAL))


@collector("s3.critical_replication", permissions=("s3:ListAllMyBuckets", "s3:GetReplicationConfiguration"))
def critical_replication(ctx: CollectContext) -> list[BucketReplication] | None:
    if not getattr(ctx, "primary_region", True):
        return None
    s3 = ctx.client("s3")
    patterns = critical_patterns(ctx)
    names = [name for name, _ in ctx.get("s3.bucket_list")]
    out: list[BucketReplication] = []
    for name in sorted(n for n in names if any(fnmatchcase(n, p) for p in patterns)):
        try:
            conf = s3.get_bucket_replication(Bucket=name)["ReplicationConfiguration"]
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ReplicationConfigurationNotFoundError":
                raise
            out.append(BucketReplication(bucket=name, configured=False))
            continue
        rules = [
            (
                r.get("ID", ""),
                r.get("Status", "Disabled"),
                r.get("Destination", {}).get("Bucket", "").removeprefix("arn:aws:s3:::"),
            )
            for r in conf.get("Rules", [])
        ]
        out.append(BucketReplication(bucket=name, configured=True, rules=rules))
    return out
