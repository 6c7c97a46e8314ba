"""Targets of a run: every configured account x region (and, later, clusters and stacks)."""

from __future__ import annotations

from opsbook.core.config import Config
from opsbook.core.errors import ConfigError
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
    for acct in cfg.accounts:
        if accounts and acct.name not in accounts:
            continue
        for region in cfg.regions_of(acct):
            if regions and region not in regions:
                continue
            out.append(Target(kind=TargetKind.AWS, account=acct.name, account_id=acct.id, region=region))
    return out
