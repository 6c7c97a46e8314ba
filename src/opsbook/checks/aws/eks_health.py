"""Daily: EKS clusters not ACTIVE; node groups not ACTIVE, with health issues, or with no headroom."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.collect.aws.models import EksCluster
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity

CLUSTER_PERMS = ("eks:ListClusters", "eks:DescribeCluster")
EKS_PERMS = (*CLUSTER_PERMS, "eks:ListNodegroups", "eks:DescribeNodegroup")


@check(
    id="eks.cluster_not_active",
    title="EKS clusters not ACTIVE",
    section="Daily Operations / Morning Health Checks",
    cadence=("daily",),
    severity=Severity.CRITICAL,
    needs=("eks.clusters",),
    permissions=CLUSTER_PERMS,
    remediation="aws eks describe-cluster --name <cluster>; wait for updates or check the cluster's health",
)
def cluster_not_active(ctx: CheckContext) -> Iterable[Finding]:
    clusters: list[EksCluster] = ctx["eks.clusters"]
    for c in clusters:
        res = Resource(id=c.name, type="AWS::EKS::Cluster", arn=c.arn)
        if c.status == "ACTIVE":
            yield ctx.passed(f"cluster {c.name} is ACTIVE (v{c.version})", res, version=c.version)
        else:
            yield ctx.failed(f"cluster {c.name} is {c.status}", res, status=c.status, version=c.version)


@check(
    id="eks.nodegroup_unhealthy",
    title="EKS node groups not ACTIVE, unhealthy or at max size",
    section="Daily Operations / Morning Health Checks",
    cadence=("daily",),
    severity=Severity.HIGH,
    needs=("eks.clusters_with_nodegroups",),
    permissions=EKS_PERMS,
    remediation="aws eks describe-nodegroup --cluster-name <cluster> --nodegroup-name <ng>; "
    "raise maxSize with `aws eks update-nodegroup-config --scaling-config maxSize=N` if it has no headroom",
)
def nodegroup_unhealthy(ctx: CheckContext) -> Iterable[Finding]:
    clusters: list[EksCluster] = ctx["eks.clusters_with_nodegroups"]
    for c in clusters:
        for ng in c.nodegroups:
            res = Resource(id=f"{c.name}/{ng.name}", type="AWS::EKS::Nodegroup", arn=ng.arn)
            info = {"status": ng.status, "desired": ng.desired, "min": ng.min, "max": ng.max}
            problems = []
            if ng.status != "ACTIVE":
                problems.append(f"status {ng.status}")
            if ng.health_issues:
                problems.append("health issues: " + "; ".join(ng.health_issues))
            if ng.max and ng.desired >= ng.max:
                problems.append(f"at max size ({ng.desired}/{ng.max}): no headroom to scale out")
            if problems:
                yield ctx.failed(
                    f"node group {c.name}/{ng.name}: " + ", ".join(problems),
                    res,
                    health_issues=ng.health_issues,
                    **info,
                )
            else:
                yield ctx.passed(
                    f"node group {c.name}/{ng.name} is ACTIVE with headroom ({ng.desired}/{ng.max})",
                    res,
                    **info,
                )
