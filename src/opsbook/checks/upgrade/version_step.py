"""Pre-flight: the target is exactly one minor version above the live control plane, which is ACTIVE."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION, cluster_resource, versions
from opsbook.collect.aws.models import EksCluster
from opsbook.core.checks import CheckContext, check
from opsbook.core.kube_versions import UpgradeTarget, next_minor, text
from opsbook.core.models import Finding, Severity


@check(
    id="upgrade.version_step",
    title="Upgrade target is one minor version above the live control plane",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    needs=("eks.clusters",),
    settings=UpgradeTarget,
    remediation="aws eks describe-cluster --name <cluster> --query cluster.version; EKS upgrades one minor "
    "version at a time: check and upgrade to the next one first (opsbook upgrade check --to <next>)",
)
def version_step(ctx: CheckContext) -> Iterable[Finding]:
    clusters: list[EksCluster] = ctx["eks.clusters"]
    for c in clusters:
        res = cluster_resource(c)
        found = versions(ctx, c.version)
        if found is None:
            yield ctx.skipped(f"cluster {c.name} reports no Kubernetes version ({c.version!r})", res)
            continue
        current, target = found
        info = {"current": text(current), "target": text(target), "status": c.status}
        step = f"{text(current)} -> {text(target)}"
        if c.status != "ACTIVE":
            yield ctx.failed(f"cluster {c.name} is {c.status}: EKS updates only an ACTIVE control plane; "
                             "wait for the update in progress to end", res, None, **info)  # fmt: skip
        elif target == next_minor(current):
            yield ctx.passed(f"cluster {c.name}: {step} is one minor version", res, **info)
        elif target <= current:
            yield ctx.failed(f"cluster {c.name} already runs {text(current)}: {text(target)} is no upgrade "
                             "(EKS cannot downgrade)", res, None, **info)  # fmt: skip
        else:
            yield ctx.failed(f"cluster {c.name}: {step} skips minor versions; EKS upgrades one at a time, "
                             f"so {text(next_minor(current))} comes first", res, None, **info)  # fmt: skip
