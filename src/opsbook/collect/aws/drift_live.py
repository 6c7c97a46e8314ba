"""What the drift checks read live beyond the other collectors' listings: S3 bucket settings (versioning,
default encryption, public access block) and recent CloudTrail management events (who changed what, when);
what drift.unmanaged lists (AWS Config or the tagging API) is in drift_unmanaged.py.

The settings of both drift checks live here, since these collectors read them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import botocore.exceptions
from pydantic import Field, field_validator

from opsbook.collect.aws.cost_models import Bucket
from opsbook.collect.aws.drift_models import BucketSettings, TrailEvent
from opsbook.collect.aws.drift_table import unmanaged_types
from opsbook.collect.aws.keys import S3_BUCKETS
from opsbook.core.collectors import CollectContext, Key, SettingsOf, collector
from opsbook.core.drift import InstanceSelection
from opsbook.core.settings import CheckSettings

BUCKET_SETTINGS = Key[dict[str, BucketSettings]]("s3.bucket_settings")
TRAIL_EVENTS = Key[list[TrailEvent]]("cloudtrail.write_events")
MISSING = {
    "NoSuchBucket",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
}


class StateVsLiveSettings(InstanceSelection):
    """Settings of drift.state_vs_live (`stacks`/`components`: the stack and component a state object
    belongs to)."""

    trail_days: int = Field(
        90, ge=1, le=90, description="CloudTrail days searched for who changed a resource"
    )
    max_trail_events: int = Field(
        5000, ge=0, description="at most this many CloudTrail write events read per region (0: none)"
    )


class UnmanagedSettings(CheckSettings):
    """Settings of drift.unmanaged (opt-in: `checks.drift.unmanaged.enabled: true`)."""

    managed_tag_key: str = Field(
        "ManagedBy", description="the tag the estate marks Terraform's resources with"
    )
    managed_tag_value: str = Field("terraform", description="its value on a Terraform-managed resource")
    types: list[str] = Field(
        default_factory=list, description="resource types to look for (empty: every type drift knows)"
    )
    accounts: list[str] = Field(default_factory=list, description="accounts to look in (empty: all)")
    regions: list[str] = Field(default_factory=list, description="regions to look in (empty: all)")

    def covers(self, account: str | None, region: str | None) -> bool:
        """Is the account x region one `accounts`/`regions` let the check look in?"""
        return (not self.accounts or account in self.accounts) and (
            not self.regions or region in self.regions
        )

    @field_validator("types")
    @classmethod
    def known(cls, v: list[str]) -> list[str]:
        known = unmanaged_types()
        for t in v:
            if t not in known:
                raise ValueError(f"unknown type {t!r} (drift knows: {', '.join(known)})")
        return v


def settings_of(s3: Any, name: str) -> BucketSettings:
    def read(call: str) -> dict[str, Any]:
        try:
            out: dict[str, Any] = getattr(s3, call)(Bucket=name)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return {}
            raise
        return out

    rules = read("get_bucket_encryption").get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault", {})
    return BucketSettings(
        versioning=read("get_bucket_versioning").get("Status", ""),
        sse_algorithm=default.get("SSEAlgorithm", ""),
        kms_key_id=default.get("KMSMasterKeyID", ""),
        public_access_block=read("get_public_access_block").get("PublicAccessBlockConfiguration", {}),
    )


@collector(
    BUCKET_SETTINGS,
    deps=(S3_BUCKETS,),
    permissions=("s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:GetBucketPublicAccessBlock"),
)
def bucket_settings(ctx: CollectContext) -> dict[str, BucketSettings]:
    s3 = ctx.client("s3")
    found: list[Bucket] = ctx.get(S3_BUCKETS)
    return {b.name: settings_of(s3, b.name) for b in found}


@collector(
    TRAIL_EVENTS,
    permissions=("cloudtrail:LookupEvents",),
    settings=SettingsOf("drift.state_vs_live", StateVsLiveSettings),
)
def write_events(ctx: CollectContext) -> list[TrailEvent]:
    """The region's CloudTrail management write events over `trail_days`, newest first (LookupEvents keeps
    90 days); the check names the latest that touched a drifted resource."""
    limit = ctx.settings.max_trail_events
    start = ctx.now - timedelta(days=ctx.settings.trail_days)
    return lookup_write_events(ctx.client("cloudtrail"), start, ctx.now, limit) if limit else []


def lookup_write_events(cloudtrail: Any, start: datetime, end: datetime, limit: int) -> list[TrailEvent]:
    """CloudTrail management write events (LookupEvents, ReadOnly=false) from `start` to `end`, newest
    first, at most `limit` (also `opsbook diagnose`'s recent changes)."""
    out: list[TrailEvent] = []
    pages = cloudtrail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
        StartTime=start,
        EndTime=end,
    )
    for page in pages:
        for e in page.get("Events", []):
            out.append(
                TrailEvent(
                    name=e.get("EventName", ""),
                    time=e["EventTime"],
                    user=e.get("Username", ""),
                    resources=[r["ResourceName"] for r in e.get("Resources", []) if r.get("ResourceName")],
                )
            )
            if len(out) >= limit:
                return out
    return out
