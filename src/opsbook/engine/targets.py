"""Targets of a run: every configured account x region, every configured cluster (and, later, stacks)."""

from __future__ import annotations

from opsbook.core.aws_names import check_region
from opsbook.core.config import Config
from opsbook.core.errors import ConfigError, InputError
from opsbook.core.models import Target, TargetKind


def aws_targets(
    cfg: Config, accounts: list[str] | None = None, regions: list[str] | None = None
) -> list[Target]:
    out: list[Target] = []
    names = {a.name for a in cfg.accounts}
    for wanted in accounts or []:
        if wanted not in names:
            raise ConfigError(
                f"--account {wanted}: not in {cfg.source or 'config'} (have: {', '.join(sorted(names))})"
            )
    check_regions(cfg, accounts, regions)
    for acct in cfg.accounts:
        if accounts and acct.name not in accounts:
            continue
        for region in cfg.regions_of(acct):
            if regions and region not in regions:
                continue
            out.append(Target(kind=TargetKind.AWS, account=acct.name, account_id=acct.id, region=region))
    return out


def check_regions(cfg: Config, accounts: list[str] | None, regions: list[str] | None) -> None:
    """Each `--region` must be a real region and configured for at least one of the chosen accounts."""
    configured = sorted(
        {r for a in cfg.accounts if not accounts or a.name in accounts for r in cfg.regions_of(a)}
    )
    for wanted in regions or []:
        try:
            check_region(wanted)
        except ValueError as exc:
            raise InputError(f"--region {wanted}: {exc}") from None
        if wanted not in configured:
            whose = "the chosen accounts" if accounts else "any account"
            raise ConfigError(
                f"--region {wanted}: not configured for {whose} in {cfg.source or 'config'} "
                f"(configured: {', '.join(configured) or 'none'})"
            )


def k8s_targets(
    cfg: Config, clusters: list[str] | None = None, accounts: list[str] | None = None
) -> list[Target]:
    """One target per configured cluster (`clusters:`), optionally only the named ones; with `accounts`,
    only EKS clusters in those accounts."""
    names = {c.name for c in cfg.clusters}
    for wanted in clusters or []:
        if wanted not in names:
            have = ", ".join(sorted(names)) or "none"
            raise ConfigError(f"--cluster {wanted}: not in {cfg.source or 'config'} (have: {have})")
    out: list[Target] = []
    for c in cfg.clusters:
        if clusters and c.name not in clusters:
            continue
        if accounts and (c.eks is None or c.eks.account not in accounts):
            continue
        account_id = None
        if c.eks is not None:
            account_id = next((a.id for a in cfg.accounts if a.name == c.eks.account), None)
        out.append(
            Target(
                kind=TargetKind.K8S,
                cluster=c.name,
                account=c.eks.account if c.eks else None,
                account_id=account_id,
                region=c.eks.region if c.eks else None,
            )
        )
    return out
