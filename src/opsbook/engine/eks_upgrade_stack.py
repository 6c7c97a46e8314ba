"""Which Atmos stack manages an EKS cluster, for `eks-upgrade`'s control plane step: a stack whose cluster
component (`stacks.cluster_component`, as the estate finds clusters) declares the cluster's name, in the
cluster's account and region. `--stack S` names it (and is refused when S does not declare the cluster);
without it the one such stack is used, none means the EKS API, several must be told apart with `--stack`;
`--no-stack` always uses the EKS API.

The change itself is stack-set's (engine/stack_set.py): `vars.kubernetes_version` written into the stack's
own manifest, proven in a scratch copy, and Terraform's plan recorded for the apply to compare with.
"""

from __future__ import annotations

from typing import Any

from opsbook.core.config import Config
from opsbook.core.errors import OpsbookError
from opsbook.engine.eks_target import Where
from opsbook.engine.stack_set import StackChange, StackSetParams, prove_change, user_tree
from opsbook.providers.atmos.estate import cluster_components
from opsbook.providers.atmos.resolver import Stacks


def managing_stack(cfg: Config, where: Where, stack: str | None, refuse: Any) -> tuple[str, str] | None:
    """(stack, component) of the stack that manages the cluster, or None for the EKS API."""
    if cfg.stacks is None:
        if stack:
            raise refuse(f"--stack {stack}: no `stacks:` in the configuration (or use --no-stack)")
        return None
    component = cfg.stacks.cluster_component
    # without an account map a stack's account is its vars.account_id, as stack-set reads it
    accounts = cfg.stacks.account_map or {a.id: a.name for a in cfg.accounts if a.id}
    found = cluster_components(Stacks.load(cfg.stacks.atmos_config).describe_stacks(), accounts, component)
    mine = [(c.stack, c.component) for c in found
            if (c.cluster, c.region, c.account) == (where.eks_name, where.region, where.account.name)]  # fmt: skip
    place = f"{where.account.name}/{where.region}"
    if stack:
        hit = next((m for m in mine if m[0] == stack), None)
        if hit is None:
            have = ", ".join(s for s, _ in mine) or "none"
            raise refuse(f"--stack {stack}: its {component} component does not declare EKS cluster "
                         f"{where.eks_name} in {place} (stacks that do: {have})")  # fmt: skip
        return hit
    if len(mine) > 1:
        raise refuse(f"EKS cluster {where.eks_name} in {place} is declared by stacks {', '.join(s for s, _ in mine)}: "
                     "name one with --stack (or --no-stack for the EKS API)")  # fmt: skip
    return mine[0] if mine else None


def version_change(cfg: Config, stack: str, component: str, to: str, refuse: Any) -> StackChange:
    """`vars.kubernetes_version=<to>` in the stack's own manifest, proven as stack-set proves an edit."""
    try:
        stacks = user_tree(cfg)
    except OpsbookError as exc:
        raise refuse(f"{component} -s {stack} manages the cluster, but {exc}; or pass --no-stack to upgrade "
                     "through the EKS API (the stack then still names the old version)") from None  # fmt: skip
    params = StackSetParams(
        stack=stack, component=component, set=[f"vars.kubernetes_version={to}"], in_stack=True
    )
    return prove_change(cfg, params, stacks)
