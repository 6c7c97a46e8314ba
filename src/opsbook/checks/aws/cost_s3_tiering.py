"""Weekly: buckets above a size without an S3 Intelligent-Tiering configuration."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from opsbook.checks.aws import pricing
from opsbook.checks.aws.cleanup_proposal import proposal
from opsbook.collect.aws.cost_models import Bucket, BucketSize
from opsbook.collect.aws.keys import S3_BUCKETS
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(pricing.KeepSettings):
    min_size_gb: float = Field(100, ge=0, description="only buckets with at least this much Standard storage")
    cold_fraction: float = Field(
        0.5, gt=0, le=1, description="share of the data assumed to move to the Infrequent Access tier"
    )


def bucket_resource(b: Bucket) -> Resource:
    return Resource(id=b.name, type="AWS::S3::Bucket", arn=f"arn:aws:s3:::{b.name}", name=b.name)


@check(
    id="s3.no_intelligent_tiering",
    title="Large buckets without Intelligent-Tiering",
    section="Cost Optimization / Identify Cost Savings",
    cadence=("weekly:thursday",),
    severity=Severity.LOW,
    needs=(S3_BUCKETS, "s3.bucket_sizes"),
    permissions=(
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetIntelligentTieringConfiguration",
        "s3:GetBucketTagging",
        "cloudwatch:GetMetricData",
    ),
    remediation="opsbook plan cleanup --kinds s3-tiering -o plan.json && opsbook apply plan.json "
    "(by hand: aws s3api put-bucket-intelligent-tiering-configuration --bucket my-bucket --id "
    "intelligent-tiering --intelligent-tiering-configuration file://tiering-config.json)",
    settings=Settings,
    fixed_by="cleanup",
)
def no_intelligent_tiering(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    region = ctx.target.region
    sizes: dict[str, BucketSize] = ctx["s3.bucket_sizes"]
    small = 0
    for b in ctx[S3_BUCKETS]:
        res = bucket_resource(b)
        size = sizes.get(b.name, BucketSize())
        gb = (size.standard_bytes or 0) / pricing.GIB
        if b.tiering_configs:
            yield ctx.passed(f"{b.name} has Intelligent-Tiering ({', '.join(b.tiering_configs)})", res)
        elif size.standard_bytes is None or gb < s.min_size_gb:
            small += 1
        elif pricing.is_kept(b.tags, s.keep_tag):
            yield ctx.passed(
                f"{b.name} has no Intelligent-Tiering but is kept ({s.keep_tag})", res, kept=True
            )
        else:
            saving = pricing.tiering_month(region, size.standard_bytes, size.objects, s.cold_fraction)
            yield ctx.failed(
                f"{b.name} holds {gb:,.0f} GiB in Standard without Intelligent-Tiering: ~${saving:,.2f}/month "
                f"if {s.cold_fraction:.0%} of it cools down",
                res,
                None,
                proposal=proposal(
                    "s3-tiering", "put-intelligent-tiering", saving, cold_fraction=s.cold_fraction
                ),
                size_gb=round(gb, 1),
                objects=size.objects,
                tiering_configs=[],
                cold_fraction=s.cold_fraction,
                saving_usd_month=saving,
                price_source=pricing.source(region)
                + "; assumes the objects are stored in the INTELLIGENT_TIERING class",
            )
    if small:
        yield ctx.passed(f"{small} buckets without Intelligent-Tiering are below {s.min_size_gb:g} GiB", None)
