"""Pre-flight: PodDisruptionBudgets that allow no disruption while they cover pods block every drain, so
a node group update stalls on those pods' nodes (EKS gives up after its timeout without saying why)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.checks.upgrade.common import CADENCE, SECTION
from opsbook.collect.k8s.models import K8sPod
from opsbook.collect.k8s.upgrade_models import K8sPdb
from opsbook.core.checks import CheckContext, check
from opsbook.core.labels import selector_matches
from opsbook.core.models import Finding, Resource, Severity, TargetKind


@check(
    id="upgrade.pdb_blocks_drain",
    title="PodDisruptionBudgets that block every drain",
    section=SECTION,
    cadence=CADENCE,
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.pdbs", "k8s.pods"),
    remediation="kubectl get pdb -A; scale the workload out (more replicas than the budget keeps) or relax "
    "minAvailable/maxUnavailable for the upgrade, so that each pod can be evicted in turn",
)
def pdb_blocks_drain(ctx: CheckContext) -> Iterable[Finding]:
    pdbs: list[K8sPdb] = ctx["k8s.pdbs"]
    pods: list[K8sPod] = ctx["k8s.pods"]
    for pdb in pdbs:
        res = Resource(id=pdb.key, type="PodDisruptionBudget", name=pdb.name)
        covered = sorted(p.name for p in pods
                         if p.namespace == pdb.namespace and not p.terminated and selector_matches(pdb.selector, p.labels))  # fmt: skip
        info = {"rule": pdb.rule, "disruptions_allowed": pdb.disruptions_allowed, "pods": covered,
                "healthy": pdb.current_healthy, "expected": pdb.expected_pods}  # fmt: skip
        if pdb.disruptions_allowed is None:
            yield ctx.skipped(f"PodDisruptionBudget {pdb.key} has no status yet (disruptionsAllowed unknown)",
                              res, **info)  # fmt: skip
        elif pdb.disruptions_allowed == 0 and covered:
            yield ctx.failed(f"PodDisruptionBudget {pdb.key} ({pdb.rule}, {pdb.current_healthy}/"
                             f"{pdb.expected_pods} healthy) allows no disruption: draining stops at pods "
                             f"{', '.join(covered)}", res, None, **info)  # fmt: skip
        else:
            yield ctx.passed(f"PodDisruptionBudget {pdb.key} allows {pdb.disruptions_allowed} disruption(s) "
                             f"of {len(covered)} pod(s)", res, **info)  # fmt: skip
    if not pdbs:
        yield ctx.passed("no PodDisruptionBudgets: none blocks a drain")
