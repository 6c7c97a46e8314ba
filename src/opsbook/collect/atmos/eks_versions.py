"""The control plane version each stack sets for the EKS clusters of an AWS target (upgrade pre-flight,
`upgrade.stack_version`): the cluster components (`stacks.cluster_component`) of the stacks that
`stacks.account_map` places in the target's account and region, their `vars.kubernetes_version` as
written and the file:line that sets it, for the target's live clusters (`eks.clusters`). It reads the
stacks tree, no AWS API (so it needs no IAM permission of its own)."""

from __future__ import annotations

from pathlib import Path

from opsbook.collect.aws.upgrade_models import StackEksVersion
from opsbook.core.collectors import CollectContext, collector

VERSION_VAR = ("vars", "kubernetes_version")


@collector("atmos.eks_versions", permissions=(), deps=("eks.clusters",))
def eks_versions(ctx: CollectContext) -> list[StackEksVersion]:
    settings = ctx.config.stacks
    if settings is None or not settings.account_map:
        return []  # no stacks to compare with: upgrade.stack_version reports SKIPPED
    from opsbook.providers.atmos.estate import cluster_components
    from opsbook.providers.atmos.provenance import where_defined
    from opsbook.providers.atmos.resolver import Stacks

    stacks = Stacks.load(settings.atmos_config)
    ours = (ctx.target.account, ctx.target.account_id)
    live = {c.name for c in ctx.get("eks.clusters")}
    out: list[StackEksVersion] = []
    found = cluster_components(stacks.describe_stacks(), settings.account_map, settings.cluster_component)
    for c in found:
        if c.account not in ours or c.region != ctx.target.region or c.cluster not in live:
            continue
        version = c.vars.get("kubernetes_version")
        defined = where_defined(stacks, c.stack, c.component, VERSION_VAR) if version is not None else None
        out.append(
            StackEksVersion(
                stack=c.stack,
                component=c.component,
                cluster=c.cluster,
                version=None if version is None else str(version),
                where=_relative(defined.file, settings.atmos_config, defined.line) if defined else None,
            )
        )
    return out


def _relative(file: Path, base: str | None, line: int) -> str:
    root = Path(base or ".").resolve()
    try:
        shown = file.resolve().relative_to(root)
    except ValueError:
        shown = file
    return f"{shown}:{line}"
