"""Weekly: Elastic IPs that are not associated with anything (each costs a public IPv4 hour rate)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.aws import pricing
from opsbook.checks.aws.cleanup_proposal import proposal
from opsbook.collect.aws.cost_models import ElasticIp
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


def address_resource(a: ElasticIp) -> Resource:
    return Resource(id=a.allocation_id, type="AWS::EC2::EIP", name=a.tags.get("Name") or a.public_ip)


def is_associated(a: ElasticIp) -> bool:
    return bool(a.association_id or a.instance_id or a.network_interface_id)


@check(
    id="ec2.unassociated_addresses",
    title="Elastic IPs not associated",
    section="Cost Optimization / Identify Cost Savings",
    cadence=("weekly:thursday",),
    severity=Severity.LOW,
    needs=("ec2.addresses",),
    permissions=("ec2:DescribeAddresses",),
    remediation="opsbook plan cleanup --kinds eip -o plan.json && opsbook apply plan.json "
    "(by hand: aws ec2 release-address --allocation-id eipalloc-xxxxxxxxx)",
    settings=pricing.KeepSettings,
    fixed_by="cleanup",
)
def unassociated_addresses(ctx: CheckContext) -> Iterable[Finding]:
    region = ctx.target.region
    for a in ctx["ec2.addresses"]:
        res = address_resource(a)
        if is_associated(a):
            yield ctx.passed(
                f"{a.public_ip} is associated with {a.instance_id or a.network_interface_id}", res
            )
        elif pricing.is_kept(a.tags, ctx.settings.keep_tag):
            yield ctx.passed(
                f"{a.public_ip} is not associated but kept ({ctx.settings.keep_tag})", res, kept=True
            )
        else:
            saving = pricing.public_ip_month(region)
            yield ctx.failed(
                f"{a.public_ip} ({a.allocation_id}) is not associated: ~${saving:,.2f}/month",
                res,
                None,
                proposal=proposal("elastic-ip", "release-address", saving),
                public_ip=a.public_ip,
                association_id=None,
                domain=a.domain,
                saving_usd_month=saving,
                price_source=pricing.source(region),
            )
