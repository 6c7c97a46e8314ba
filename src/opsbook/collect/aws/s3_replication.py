"""Replication of the buckets the config marks critical (S3's bucket listing is account-wide).

The bucket names (or glob patterns) are the settings of check s3.critical_bucket_replication, declared
here (the check uses the same model) and handed to the collector validated by the engine.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import botocore.exceptions
from pydantic import Field

from opsbook.collect.aws.security_models import BucketReplication
from opsbook.core.collectors import CollectContext, SettingsOf, collector
from opsbook.core.settings import CheckSettings


class ReplicationSettings(CheckSettings):
    """The settings of check s3.critical_bucket_replication."""

    critical_buckets: list[str] = Field(
        default_factory=lambda: ["my-bucket", "my-bucket-*"],
        description="names or glob patterns of the buckets that must replicate",
    )


@collector(
    "s3.critical_replication",
    permissions=("s3:GetReplicationConfiguration",),
    deps=("s3.bucket_list",),
    scope="account",
    settings=SettingsOf("s3.critical_bucket_replication", ReplicationSettings),
)
def critical_replication(ctx: CollectContext) -> list[BucketReplication] | None:
    s3 = ctx.client("s3")
    settings: ReplicationSettings = ctx.settings
    patterns = settings.critical_buckets
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
