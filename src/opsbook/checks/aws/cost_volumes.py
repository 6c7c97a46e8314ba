"""Weekly: unattached (available) EBS volumes, with size, type, age and the monthly cost they keep."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from opsbook.checks.aws import pricing
from opsbook.checks.aws.cleanup_proposal import proposal
from opsbook.collect.aws.cost_models import EbsVolume
from opsbook.collect.aws.keys import VOLUMES
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(pricing.KeepSettings):
    min_age_days: int = Field(
        7, ge=0, description="ignore volumes created less than this many days ago (may be mid-migration)"
    )


def volume_resource(v: EbsVolume) -> Resource:
    return Resource(id=v.id, type="AWS::EC2::Volume", name=v.tags.get("Name"))


@check(
    id="ec2.unattached_volumes",
    title="Unattached EBS volumes",
    section="Cost Optimization / Identify Cost Savings",
    cadence=("weekly:thursday",),
    severity=Severity.LOW,
    needs=(VOLUMES,),
    permissions=("ec2:DescribeVolumes",),
    remediation="opsbook plan cleanup --kinds ebs -o plan.json && opsbook apply plan.json "
    "(by hand: aws ec2 delete-volume --volume-id vol-xxxxxxxxx)",
    settings=Settings,
    fixed_by="cleanup",
)
def unattached_volumes(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    region = ctx.target.region
    in_use = 0
    for v in ctx[VOLUMES]:
        if v.state != "available":
            in_use += 1
            continue
        age = pricing.age_days(ctx.now, v.created_at)
        res = volume_resource(v)
        if pricing.is_kept(v.tags, s.keep_tag):
            yield ctx.passed(f"{v.id} is unattached but kept ({s.keep_tag})", res, kept=True)
            continue
        if age is not None and age < s.min_age_days:
            yield ctx.passed(f"{v.id} is unattached, created {age} days ago (< {s.min_age_days})", res)
            continue
        saving = pricing.ebs_volume_month(region, v.type, v.size_gb)
        yield ctx.failed(
            f"{v.id} ({v.size_gb} GiB {v.type}) is not attached to any instance"
            + (f", created {age} days ago" if age is not None else "")
            + f": ~${saving:,.2f}/month",
            res,
            None,
            proposal=proposal("ebs-volume", "delete-volume", saving),
            state=v.state,
            size_gb=v.size_gb,
            volume_type=v.type,
            age_days=age,
            created_at=v.created_at.isoformat() if v.created_at else None,
            availability_zone=v.availability_zone,
            saving_usd_month=saving,
            price_source=pricing.source(region),
        )
    if in_use:
        yield ctx.passed(f"{in_use} volumes are attached", None, attached=in_use)
