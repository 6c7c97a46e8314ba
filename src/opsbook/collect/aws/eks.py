"""EKS clusters (ListClusters + one DescribeCluster each) and, only for the checks that need them, their
node groups (ListNodegroups + one DescribeNodegroup each): a run that checks cluster status alone makes
no node group calls."""

from __future__ import annotations

from opsbook.collect.aws.models import EksCluster, NodeGroup
from opsbook.core.collectors import CollectContext, collector


@collector("eks.clusters", permissions=("eks:ListClusters", "eks:DescribeCluster"))
def clusters(ctx: CollectContext) -> list[EksCluster]:
    eks = ctx.client("eks")
    out: list[EksCluster] = []
    for page in eks.get_paginator("list_clusters").paginate():
        for name in page.get("clusters", []):
            c = eks.describe_cluster(name=name)["cluster"]
            out.append(
                EksCluster(
                    name=name,
                    arn=c.get("arn", ""),
                    status=c.get("status", "UNKNOWN"),
                    version=c.get("version"),
                    endpoint=c.get("endpoint"),
                )
            )
    return out


@collector(
    "eks.clusters_with_nodegroups",
    permissions=("eks:ListNodegroups", "eks:DescribeNodegroup"),
    deps=("eks.clusters",),
)
def clusters_with_nodegroups(ctx: CollectContext) -> list[EksCluster]:
    eks = ctx.client("eks")
    out: list[EksCluster] = []
    for cluster in ctx.get("eks.clusters"):
        groups: list[NodeGroup] = []
        for page in eks.get_paginator("list_nodegroups").paginate(clusterName=cluster.name):
            for ng_name in page.get("nodegroups", []):
                ng = eks.describe_nodegroup(clusterName=cluster.name, nodegroupName=ng_name)["nodegroup"]
                scaling, update = ng.get("scalingConfig", {}), ng.get("updateConfig") or {}
                issues = [
                    f"{i.get('code')}: {i.get('message', '')}".strip()
                    for i in ng.get("health", {}).get("issues", [])
                ]
                groups.append(
                    NodeGroup(
                        name=ng_name,
                        arn=ng.get("nodegroupArn", ""),
                        status=ng.get("status", "UNKNOWN"),
                        desired=int(scaling.get("desiredSize", 0)),
                        min=int(scaling.get("minSize", 0)),
                        max=int(scaling.get("maxSize", 0)),
                        health_issues=issues,
                        version=ng.get("version"),
                        instance_types=list(ng.get("instanceTypes") or []),
                        capacity_type=ng.get("capacityType") or "ON_DEMAND",
                        subnets=list(ng.get("subnets") or []),
                        max_unavailable=update.get("maxUnavailable"),
                        max_unavailable_percentage=update.get("maxUnavailablePercentage"),
                    )
                )
        out.append(cluster.model_copy(update={"nodegroups": groups}))
    return out
