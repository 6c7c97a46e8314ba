"""Weekly: self-owned EBS snapshots older than N days that no self-owned AMI uses."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from opsbook.checks.aws import pricing
from opsbook.checks.aws.cleanup_proposal import proposal
from opsbook.collect.aws.cost_models import EbsSnapshot
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(pricing.KeepSettings):
    older_than_days: int = Field(90, ge=1, description="snapshots started at least this many days ago")


def snapshot_resource(s: EbsSnapshot) -> Resource:
    return Resource(id=s.id, type="AWS::EC2::Snapshot", name=s.tags.get("Name"))


@check(
    id="ec2.old_snapshots",
    title="Old EBS snapshots not used by any AMI",
    section="Cost Optimization / Identify Cost Savings",
    cadence=("weekly:thursday",),
    severity=Severity.LOW,
    needs=("ec2.snapshots",),
    permissions=("ec2:DescribeSnapshots", "ec2:DescribeImages"),
    remediation="opsbook plan cleanup --kinds snapshot --older-than-days 90 -o plan.json && "
    "opsbook apply plan.json (by hand: aws ec2 delete-snapshot --snapshot-id snap-xxxxxxxxx)",
    settings=Settings,
    fixed_by="cleanup",
)
def old_snapshots(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    region = ctx.target.region
    recent = 0
    for snap in ctx["ec2.snapshots"]:
        age = pricing.age_days(ctx.now, snap.started_at)
        if age is None or age < s.older_than_days:
            recent += 1
            continue
        res = snapshot_resource(snap)
        if snap.used_by_images:
            images = ", ".join(snap.used_by_images)
            yield ctx.passed(
                f"{snap.id} is {age} days old but used by {images}", res, used_by=snap.used_by_images
            )
        elif pricing.is_kept(snap.tags, s.keep_tag):
            yield ctx.passed(f"{snap.id} is {age} days old but kept ({s.keep_tag})", res, kept=True)
        else:
            saving = pricing.snapshot_month(region, snap.size_gb)
            yield ctx.failed(
                f"{snap.id} of {snap.volume_id or 'a deleted volume'} is {age} days old and no AMI uses it: "
                f"up to ~${saving:,.2f}/month",
                res,
                None,
                proposal=proposal(
                    "ebs-snapshot", "delete-snapshot", saving, older_than_days=s.older_than_days
                ),
                age_days=age,
                started_at=snap.started_at.isoformat() if snap.started_at else None,
                volume_id=snap.volume_id,
                size_gb=snap.size_gb,
                used_by_images=[],
                older_than_days=s.older_than_days,
                saving_usd_month=saving,
                price_source=pricing.source(region) + "; snapshots are incremental: an upper bound",
            )
    if recent:
        yield ctx.passed(f"{recent} snapshots are younger than {s.older_than_days} days", None, recent=recent)
