"""What the upgrade checks share: their guide section and cadence, the warning severity, resources."""

from __future__ import annotations

from opsbook.collect.aws.models import EksCluster, NodeGroup
from opsbook.collect.k8s.upgrade_models import ServerVersion
from opsbook.core.checks import CheckContext
from opsbook.core.kube_versions import Minor, minor_of
from opsbook.core.models import Finding, Resource, Severity

SECTION = "Upgrade Procedures / Upgrade EKS Cluster"
CADENCE = ("upgrade",)
WARNING = Severity.MEDIUM  # worth doing, does not stop it (engine/upgrade_check.py BLOCKER: HIGH and above)


def cluster_resource(c: EksCluster) -> Resource:
    return Resource(id=c.name, type="AWS::EKS::Cluster", arn=c.arn or None, name=c.name)


def nodegroup_resource(c: EksCluster, ng: NodeGroup) -> Resource:
    return Resource(id=f"{c.name}/{ng.name}", type="AWS::EKS::Nodegroup", arn=ng.arn or None, name=ng.name)


def versions(ctx: CheckContext, control_plane: str | None) -> tuple[Minor, Minor] | None:
    """(the live control plane's minor, the upgrade's target) or None when the version does not parse."""
    current = minor_of(control_plane)
    if current is None:
        return None
    return current, ctx.settings.target_for(current)


def api_server_versions(ctx: CheckContext) -> tuple[Minor, Minor] | Finding:
    """`versions` of the API server (`k8s.version`), or the SKIPPED finding when it reports none."""
    server: ServerVersion = ctx["k8s.version"]
    found = versions(ctx, server.git_version)
    if found is None:
        return ctx.skipped(f"the API server reports version {server.git_version!r}: no minor version")
    return found
