"""One EKS cluster named on the command line: a configured cluster with `eks:` (account, region, EKS name,
and Kubernetes access), or an EKS cluster's name in the one `--account` (and region) given. Shared by
the planners and the upgrade pre-flight; `who` is the command that asks, for its one-line errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from opsbook.core.config import Account, Config
from opsbook.core.errors import InputError, NotFound


@dataclass(frozen=True)
class Where:
    account: Account
    region: str
    eks_name: str
    cluster: str | None  # the configured cluster (Kubernetes access), None for an EKS name alone


def resolve_eks(
    cfg: Config, clusters: Sequence[str], accounts: Sequence[str], regions: Sequence[str], who: str
) -> Where:
    """`--cluster` as a configured cluster with `eks:`, or as an EKS cluster's name in the one `--account`
    (and region) given (also when that account or region is not the configured one's). A --region alone that
    is not the configured cluster's is refused, not ignored."""
    have = ", ".join(c.name for c in cfg.clusters) or "none configured"
    if len(clusters) != 1:
        raise InputError(f"{who}: name one --cluster (have: {have})")
    name = clusters[0]
    configured = next((c for c in cfg.clusters if c.name == name), None)
    if configured is not None and configured.eks is not None:
        other_account = (
            bool(accounts) and cfg.account(accounts[0]).name != cfg.account(configured.eks.account).name
        )
        other_region = bool(regions) and configured.eks.region not in regions
        if other_region and not accounts:
            raise InputError(f"{who}: cluster {name} is in {configured.eks.region}, not {', '.join(regions)} (an "
                             "EKS cluster of that name elsewhere: give --account too)")  # fmt: skip
        if other_account or other_region:
            configured = None  # the same EKS name elsewhere (no Kubernetes access configured)
    if configured is not None:
        if configured.eks is None:
            raise InputError(
                f"{who}: cluster {name} is reached by kubeconfig: give it `eks:` (account, region, name)"
            )
        return Where(cfg.account(configured.eks.account), configured.eks.region, configured.eks.name, name)
    if len(accounts) == 1:
        account = cfg.account(accounts[0])
        in_regions = list(regions) or cfg.regions_of(account)
        if len(in_regions) != 1:
            raise InputError(f"{who}: name one --region for EKS cluster {name} in {account.name}")
        return Where(account, in_regions[0], name, None)
    raise NotFound(
        f"{who}: unknown cluster {name!r} (configured: {have}; for an EKS cluster not under "
        "`clusters:` give --account and --region)"
    )
