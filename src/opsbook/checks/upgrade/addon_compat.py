"""Pre-flight: EKS add-ons against the target. EKS's upgrade readiness holds a control plane update while
an installed add-on is not compatible with the target (unless forced), so such an add-on is a blocker
naming a version to move to first, one EKS offers for both the live version and the target (eksup calls
this remediation required). kube-proxy is the exception: its builds follow the cluster's minor, so it moves
after the control plane (as `opsbook plan eks-upgrade` does in its add-on step) and only the skew policy
binds it before; not yet on a target build it is a warning. An add-on EKS offers no version of for the
target, or one not ACTIVE and healthy, is a blocker."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION, WARNING, cluster_resource
from opsbook.collect.aws.models import EksCluster
from opsbook.collect.aws.upgrade_models import EksAddon
from opsbook.core.checks import CheckContext, check
from opsbook.core.kube_versions import UpgradeTarget, minor_of, skew_problem
from opsbook.core.models import Finding, Resource, Severity

FOLLOWS_THE_CLUSTER = "kube-proxy"


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
    both = [v for v in a.compatible if v in a.compatible_now]
    now = a.default if a.default in both else (both[0] if both else None)
    later = a.default or (a.compatible[0] if a.compatible else None)
    info = {"version": a.version, "target": a.target, "status": a.status, "move_to": later,
            "move_to_before": now, "compatible": a.compatible[:5]}  # fmt: skip
    label = f"add-on {a.cluster}/{a.name} {a.version}"
    if not a.compatible:
        return ctx.failed(f"{label}: EKS offers no version of {a.name} for {a.target}; remove it (or replace it "
                          "with a self-managed one) before upgrading", res, None, **info)  # fmt: skip
    if a.status != "ACTIVE" or a.health_issues:
        issues = f": {'; '.join(a.health_issues)}" if a.health_issues else ""
        return ctx.failed(f"{label} is {a.status}{issues}: fix it before upgrading", res, None, **info)
    if a.version in a.compatible:
        return ctx.passed(f"{label} is offered for {a.target}", res, **info)
    if a.name == FOLLOWS_THE_CLUSTER:
        own, live, target = minor_of(a.version), minor_of(a.cluster_version), minor_of(a.target)
        problem = skew_problem(own, live, target) if own and live and target else "has no readable version"
        if problem:
            return ctx.failed(f"{label}: {problem}", res, None, **info)
        return ctx.failed(f"{label} is not offered for {a.target}: update it to {later} right after the control "
                          "plane", res, WARNING, **info)  # fmt: skip
    if now is None:
        return ctx.failed(f"{label} is not offered for {a.target} and no version is offered for both "
                          f"{a.cluster_version} and {a.target}: update the control plane with --force and this "
                          f"add-on to {later} right after, or remove it", res, None, **info)  # fmt: skip
    return ctx.failed(f"{label} is not offered for {a.target}: update it to {now} (offered for {a.cluster_version} "
                      f"and {a.target}) before the control plane; EKS holds the upgrade until then", res, None,
                      **info)  # fmt: skip
