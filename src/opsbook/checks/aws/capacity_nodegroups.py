"""Mid-month: EKS node group headroom (desired vs max) from the cluster inventory."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from opsbook.collect.aws.models import EksCluster
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity


class Settings(BaseModel):
    min_headroom_percent: float = Field(
        20.0, ge=0, le=100, description="fail when (max - desired) / max is under this"
    )


@check(
    id="eks.nodegroup_headroom",
    title="EKS node group headroom for next month",
    section="Monthly Tasks / Mid-Month: Capacity Planning",
    cadence=("monthly:capacity",),
    severity=Severity.MEDIUM,
    needs=("eks.clusters_with_nodegroups",),
    permissions=("eks:ListClusters", "eks:DescribeCluster", "eks:ListNodegroups", "eks:DescribeNodegroup"),
    remediation="aws eks update-nodegroup-config --cluster-name <cluster> --nodegroup-name <ng> "
    "--scaling-config maxSize=<N> (and check the account's EC2 quotas)",
    settings=Settings,
)
def nodegroup_headroom(ctx: CheckContext) -> Iterable[Finding]:
    limit = ctx.settings.min_headroom_percent
    clusters: list[EksCluster] = ctx["eks.clusters_with_nodegroups"]
    for c in clusters:
        for ng in c.nodegroups:
            res = Resource(id=f"{c.name}/{ng.name}", type="AWS::EKS::Nodegroup", arn=ng.arn)
            spare = max(ng.max - ng.desired, 0)
            pct = round(100.0 * spare / ng.max, 1) if ng.max else 0.0
            info: dict[str, Any] = {
                "desired": ng.desired,
                "min": ng.min,
                "max": ng.max,
                "headroom_nodes": spare,
            }
            info |= {"headroom_percent": pct, "threshold": limit}
            msg = f"node group {c.name}/{ng.name}: {ng.desired}/{ng.max} nodes, {pct:g}% headroom"
            if pct < limit:
                yield ctx.failed(f"{msg} (< {limit:g}%)", res, **info)
            else:
                yield ctx.passed(msg, res, **info)
