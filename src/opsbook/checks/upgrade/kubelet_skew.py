"""Pre-flight: every kubelet (node status.nodeInfo.kubeletVersion) stays within the skew policy of the
target and is not newer than the API server."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.k8s.common import node_resource
from opsbook.checks.upgrade.common import CADENCE, SECTION, api_server_versions
from opsbook.collect.k8s.models import K8sNode
from opsbook.collect.k8s.upgrade_models import ServerVersion
from opsbook.core.checks import CheckContext, check
from opsbook.core.kube_versions import UpgradeTarget, minor_of, minors_between, skew_problem, text
from opsbook.core.models import Finding, Severity, TargetKind


@check(
    id="upgrade.kubelet_skew",
    title="Kubelet versions within the skew policy of the target",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.version", "k8s.nodes"),
    settings=UpgradeTarget,
    remediation="kubectl get nodes -o wide; upgrade (or replace) the nodes whose kubelet is too old: "
    "aws eks update-nodegroup-version for managed node groups",
)
def kubelet_skew(ctx: CheckContext) -> Iterable[Finding]:
    server: ServerVersion = ctx["k8s.version"]
    nodes: list[K8sNode] = ctx["k8s.nodes"]
    found = api_server_versions(ctx)
    if isinstance(found, Finding):
        yield found
        return
    current, target = found
    for n in nodes:
        res, label = node_resource(n.name), f"node {n.name}" + (f" ({n.nodegroup})" if n.nodegroup else "")
        kubelet = minor_of(n.kubelet_version)
        info = {"kubelet": n.kubelet_version, "nodegroup": n.nodegroup, "api_server": server.git_version,
                "target": text(target)}  # fmt: skip
        if kubelet is None:
            yield ctx.skipped(f"{label} reports no kubelet version", res, **info)
            continue
        problem = skew_problem(kubelet, current, target)
        if problem:
            yield ctx.failed(f"{label}: kubelet {problem}", res, None, **info)
        else:
            behind = minors_between(kubelet, target)
            yield ctx.passed(f"{label}: kubelet {text(kubelet)} will be {behind} minor version(s) behind "
                             f"{text(target)}", res, **info)  # fmt: skip
