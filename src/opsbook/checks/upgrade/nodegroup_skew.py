"""Pre-flight: every managed node group runs the control plane's minor version. EKS refuses to update a
control plane while a managed node group does not match it ("Nodegroups X must be updated to match
cluster version 1.32 before updating cluster version"); a group newer than the control plane, or further
behind the target than the skew policy allows, is named as such."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION, nodegroup_resource, versions
from opsbook.collect.aws.models import EksCluster
from opsbook.core.checks import CheckContext, check
from opsbook.core.kube_versions import UpgradeTarget, minor_of, minors_between, skew_problem, text
from opsbook.core.models import Finding, Severity


@check(
    id="upgrade.nodegroup_skew",
    title="Node groups at the control plane's version, within the skew policy of the target",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    needs=("eks.clusters_with_nodegroups",),
    settings=UpgradeTarget,
    remediation="aws eks update-nodegroup-version --cluster-name <cluster> --nodegroup-name <ng> "
    "(to the control plane's version) before the control plane goes further",
)
def nodegroup_skew(ctx: CheckContext) -> Iterable[Finding]:
    clusters: list[EksCluster] = ctx["eks.clusters_with_nodegroups"]
    for c in clusters:
        found = versions(ctx, c.version)
        if found is None:  # upgrade.version_step says why
            continue
        current, target = found
        for ng in c.nodegroups:
            res, label = nodegroup_resource(c, ng), f"node group {c.name}/{ng.name}"
            version = minor_of(ng.version)
            if version is None:
                yield ctx.skipped(f"{label} reports no Kubernetes version (a custom AMI): its kubelets are "
                                  "checked on the cluster (upgrade.kubelet_skew)", res)  # fmt: skip
                continue
            info = {"version": ng.version, "control_plane": text(current), "target": text(target)}
            problem = skew_problem(version, current, target)
            if problem:
                yield ctx.failed(f"{label} at {problem}", res, None, **info)
            elif version != current:
                yield ctx.failed(f"{label} is at {text(version)}, the control plane at {text(current)}: EKS updates "
                                 f"the control plane only when every managed node group matches it; update this "
                                 f"one to {text(current)} first", res, None, **info)  # fmt: skip
            else:
                behind = minors_between(version, target)
                yield ctx.passed(f"{label} matches the control plane ({text(version)}) and will be {behind} minor "
                                 f"version behind {text(target)}", res, **info)  # fmt: skip
