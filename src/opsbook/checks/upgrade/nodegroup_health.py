"""Pre-flight: every managed node group is ACTIVE with no health issues (EKS cannot update one that is
updating, failed or degraded)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION, nodegroup_resource
from opsbook.collect.aws.models import EksCluster
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity


@check(
    id="upgrade.nodegroup_health",
    title="Node groups ACTIVE and healthy before the upgrade",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    needs=("eks.clusters_with_nodegroups",),
    remediation="aws eks describe-nodegroup --cluster-name <cluster> --nodegroup-name <ng> --query "
    "nodegroup.health; fix the issues it lists (or wait for the update in progress) first",
)
def nodegroup_health(ctx: CheckContext) -> Iterable[Finding]:
    clusters: list[EksCluster] = ctx["eks.clusters_with_nodegroups"]
    for c in clusters:
        for ng in c.nodegroups:
            res, label = nodegroup_resource(c, ng), f"node group {c.name}/{ng.name}"
            info = {"status": ng.status, "health_issues": ng.health_issues}
            if ng.status == "ACTIVE" and not ng.health_issues:
                yield ctx.passed(f"{label} is ACTIVE with no health issues", res, **info)
                continue
            issues = f": {'; '.join(ng.health_issues)}" if ng.health_issues else ""
            yield ctx.failed(f"{label} is {ng.status}{issues}", res, None, **info)
