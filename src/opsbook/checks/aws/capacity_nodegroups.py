"""Mid-month: EKS node group headroom (desired vs max) from the cluster inventory. A failing node group
proposes `opsbook plan scale-nodegroup` with the smallest maximum that restores the headroom."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from opsbook.collect.aws.models import EksCluster
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Proposal, Resource, Severity


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
    remediation="opsbook plan scale-nodegroup --cluster <cluster> --nodegroup <ng> --max <N> -o plan.json && "
    "opsbook apply plan.json (it checks the account's EC2 vCPU quota; by hand: aws eks update-nodegroup-config "
    "--cluster-name <cluster> --nodegroup-name <ng> --scaling-config maxSize=<N>)",
    settings=Settings,
    fixed_by="scale-nodegroup",
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
                fix = Proposal(procedure="scale-nodegroup", kind="eks-nodegroup-scale", action="scale-nodegroup",
                               params={"cluster": c.name, "nodegroup": ng.name, "max": wanted_max(ng.desired, limit)})  # fmt: skip
                yield ctx.failed(f"{msg} (< {limit:g}%)", res, None, proposal=fix, **info)
            else:
                yield ctx.passed(msg, res, **info)


def wanted_max(desired: int, min_headroom_percent: float) -> int:
    """The smallest maximum size that leaves `min_headroom_percent` above `desired` (at least desired + 1)."""
    if min_headroom_percent >= 100:
        return desired + 1
    return max(math.ceil(desired / (1 - min_headroom_percent / 100)), desired + 1)
