"""Pre-flight: the control plane version the Atmos stack sets (`vars.kubernetes_version` of the cluster
component) is the live one, so the upgrade through the stack starts from no drift."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION, cluster_resource
from opsbook.collect.aws.models import EksCluster
from opsbook.collect.aws.upgrade_models import StackEksVersion
from opsbook.core.checks import CheckContext, check
from opsbook.core.kube_versions import minor_of
from opsbook.core.models import Finding, Resource, Severity


@check(
    id="upgrade.stack_version",
    title="Stack's kubernetes_version matches the live control plane",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    needs=("eks.clusters", "atmos.eks_versions"),
    remediation="opsbook stacks describe-component eks -s <stack>; set vars.kubernetes_version to what runs "
    "(opsbook plan stack-set --stack <stack> --component eks --set vars.kubernetes_version=<live>) or find "
    "out why the cluster differs from its stack, before upgrading through it",
)
def stack_version(ctx: CheckContext) -> Iterable[Finding]:
    clusters: list[EksCluster] = ctx["eks.clusters"]
    declared: list[StackEksVersion] = ctx["atmos.eks_versions"]
    for c in clusters:
        mine = [s for s in declared if s.cluster == c.name]
        if not mine:
            yield ctx.skipped(f"cluster {c.name} is declared by no stack of this account and region "
                              "(stacks.account_map): nothing to compare", cluster_resource(c))  # fmt: skip
        for s in mine:
            res = Resource(id=f"{c.name}/{s.stack}", type="Atmos::Component", name=s.component)
            info = {"stack": s.stack, "component": s.component, "declared": s.version, "where": s.where,
                    "live": c.version}  # fmt: skip
            where = f" ({s.where})" if s.where else ""
            if s.version is None:
                yield ctx.skipped(f"stack {s.stack} sets no kubernetes_version for {c.name}: Terraform's "
                                  "default decides, nothing to compare", res, **info)  # fmt: skip
            elif minor_of(s.version) != minor_of(c.version):
                yield ctx.failed(f"stack {s.stack} sets kubernetes_version {s.version}{where} but {c.name} runs "
                                 f"{c.version}: reconcile them before upgrading through the stack", res, None,
                                 **info)  # fmt: skip
            else:
                yield ctx.passed(f"stack {s.stack} sets kubernetes_version {s.version}{where}, as {c.name} runs",
                                 res, **info)  # fmt: skip
