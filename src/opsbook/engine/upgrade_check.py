"""The EKS upgrade pre-flight as one library call (step 1 of the guide's "Upgrade EKS Cluster"):

    findings = check_upgrade(cfg, "my-cluster", "1.33")
    blockers(findings), warnings(findings), unreadable(findings)

It runs every registered check of cadence `upgrade` (checks/upgrade/) through the ordinary engine — the
AWS ones on the cluster's account and region, the Kubernetes ones on the cluster — with their setting
`target_version` set to the target, and returns the findings about that cluster only (the AWS target's
checks see every cluster of its region). Read-only; nothing is stored. A blocker is a failing finding at
high severity or above, a warning one below; an ERROR finding means something could not be read.

The cluster is a configured cluster with `eks:`, or an EKS cluster's name with `account` (and `region`):
then the Kubernetes-side checks cannot run and each is one SKIPPED finding saying so. An unknown cluster,
account or region, an EKS cluster the account and region do not have, or a target that is not MAJOR.MINOR, is
an InputError (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from opsbook.core.checks import CHECKS, CheckSpec
from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.core.kube_versions import MINOR_TEXT
from opsbook.core.models import Finding, Severity, Status, Target, TargetKind
from opsbook.engine import service
from opsbook.engine.eks_target import Where, resolve_eks
from opsbook.engine.estate import expand_or_keep
from opsbook.engine.selection import load_builtin

CADENCE = "upgrade"
BLOCKER = Severity.HIGH  # a failing finding at or above it stops the upgrade (checks/upgrade/)
WHO = "opsbook upgrade check"
_TARGET = re.compile(r"^v?(\d+)\.(\d+)$")


def upgrade_checks() -> list[CheckSpec]:
    load_builtin()
    return sorted((s for s in CHECKS if CADENCE in s.cadence), key=lambda s: s.id)


def target_version(text: str) -> str:
    """`1.33` (or `v1.33`) as `1.33`; anything else (`1.33.1`, `2.0`) is an InputError."""
    match = _TARGET.match(text.strip())
    version = f"{int(match[1])}.{int(match[2])}" if match else ""
    if not re.match(MINOR_TEXT, version):
        raise InputError(f"{WHO}: --to {text!r}: expected a Kubernetes minor version, e.g. 1.33")
    return version


def check_upgrade(
    cfg: Config,
    cluster_name: str,
    to_version: str | None,
    *,
    account: str | None = None,
    region: str | None = None,
) -> list[Finding]:
    """The pre-flight findings for upgrading `cluster_name` to `to_version` (None: the next minor)."""
    target = target_version(to_version) if to_version is not None else None
    specs = upgrade_checks()
    if account is None and all(c.name != cluster_name for c in cfg.clusters):
        cfg, _ = expand_or_keep(cfg)  # a cluster the stacks add (the run expands the estate itself)
    where = resolve_eks(cfg, [cluster_name], [account] if account else [], [region] if region else [], WHO)
    runnable = [s for s in specs if where.cluster is not None or s.target_kind is not TargetKind.K8S]
    request = service.RunRequest(
        check_ids=[s.id for s in runnable],
        accounts=[where.account.name],
        regions=[where.region],
        clusters=[where.cluster] if where.cluster else [],
        label="upgrade-check",
    )
    result = service.run(with_target(cfg, runnable, target), request, store_enabled=False)
    ids = {s.id for s in runnable}
    mine = [f for f in result.findings if f.check_id in ids and about(f, where)]
    if all(f.target.kind is TargetKind.K8S for f in mine):  # the AWS checks saw no such cluster there
        raise NotFound(f"{WHO}: no EKS cluster {where.eks_name} in {where.account.name}/{where.region}")
    return mine + not_run([s for s in specs if s not in runnable], where)


def with_target(cfg: Config, specs: Iterable[CheckSpec], target: str | None) -> Config:
    """`cfg` with `checks.<id>.target_version: target` for each check that has the setting."""
    if target is None:
        return cfg
    checks = dict(cfg.checks)
    for spec in specs:
        if "target_version" in spec.settings.model_fields:
            checks[spec.id] = {**(checks.get(spec.id) or {}), "target_version": target}
    return cfg.model_copy(update={"checks": checks})


def about(f: Finding, where: Where) -> bool:
    """A finding about the cluster: anything on its Kubernetes target; on the AWS target, the cluster, its
    node groups and add-ons, its stacks, or the target as a whole (an unreadable inventory)."""
    if f.target.kind is TargetKind.K8S or f.resource is None:
        return True
    return f.resource.id == where.eks_name or f.resource.id.startswith(where.eks_name + "/")


def not_run(specs: Sequence[CheckSpec], where: Where) -> list[Finding]:
    """One SKIPPED finding per Kubernetes-side check for an EKS cluster opsbook cannot reach."""
    target = Target(kind=TargetKind.K8S, cluster=where.eks_name, account=where.account.name,
                    account_id=where.account.id, region=where.region)  # fmt: skip
    return [
        Finding(
            check_id=s.id,
            status=Status.SKIPPED,
            severity=s.severity,
            target=target,
            message=f"{where.eks_name} is not under `clusters:` in opsbook.yaml: its Kubernetes API was not "
            "read (add it with `eks:` to check this)",
            remediation=s.remediation,
        )
        for s in specs
    ]


def blockers(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status is Status.FAIL and f.severity >= BLOCKER]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status is Status.FAIL and f.severity < BLOCKER]


def unreadable(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status is Status.ERROR]
