"""Pre-flight: EKS add-ons against the target. The upgrade updates add-ons after the control plane (as
`opsbook plan eks-upgrade` does in its add-on step), and some cannot move earlier (kube-proxy's builds
follow the cluster's minor), so an installed version EKS does not offer for the target is a warning naming
the version to move to; an add-on with no version at all for the target, or one not ACTIVE and healthy, is
a blocker."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION, WARNING, cluster_resource
from opsbook.collect.aws.models import EksCluster
from opsbook.collect.aws.upgrade_models import EksAddon
from opsbook.core.checks import CheckContext, check
from opsbook.core.kube_versions import UpgradeTarget
from opsbook.core.models import Finding, Resource, Severity


@check(
    id="upgrade.addon_compat",
    title="EKS add-on versions compatible with the target",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    needs=("eks.clusters", "eks.addons"),
    settings=UpgradeTarget,
    remediation="aws eks describe-addon-versions --addon-name <addon> --kubernetes-version <target>; "
    "aws eks update-addon --cluster-name <cluster> --addon-name <addon> --addon-version <version>",
)
def addon_compat(ctx: CheckContext) -> Iterable[Finding]:
    clusters: list[EksCluster] = ctx["eks.clusters"]
    addons: list[EksAddon] = ctx["eks.addons"]
    for c in clusters:
        mine = [a for a in addons if a.cluster == c.name]
        if not mine:
            yield ctx.passed(f"cluster {c.name} has no EKS add-ons", cluster_resource(c))
        for a in mine:
            yield _addon(ctx, a)


def _addon(ctx: CheckContext, a: EksAddon) -> Finding:
    res = Resource(id=f"{a.cluster}/{a.name}", type="AWS::EKS::Addon", name=a.name)
    move_to = a.default or (a.compatible[0] if a.compatible else None)
    info = {"version": a.version, "target": a.target, "move_to": move_to, "status": a.status,
            "compatible": a.compatible[:5]}  # fmt: skip
    label = f"add-on {a.cluster}/{a.name} {a.version}"
    if not a.compatible:
        return ctx.failed(f"{label}: EKS offers no version of {a.name} for {a.target}; remove it (or replace it "
                          "with a self-managed one) before upgrading", res, None, **info)  # fmt: skip
    if a.status != "ACTIVE" or a.health_issues:
        issues = f": {'; '.join(a.health_issues)}" if a.health_issues else ""
        return ctx.failed(f"{label} is {a.status}{issues}: fix it before upgrading", res, None, **info)
    if a.version in a.compatible:
        return ctx.passed(f"{label} is offered for {a.target}", res, **info)
    return ctx.failed(f"{label} is not offered for {a.target}: update it to {move_to} right after the control "
                      "plane", res, WARNING, **info)  # fmt: skip
