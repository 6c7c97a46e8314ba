"""An account's Terraform state as the Atmos stacks configure it (`terraform.backend.s3`), not a guessed name,
for the procedures that back it up and restore it (providers/atmos/backends.py finds the buckets and keys).
"""

from __future__ import annotations

import re

from opsbook.core.config import Account, Config
from opsbook.core.errors import InputError
from opsbook.procedures.registry import PlanRequest
from opsbook.providers.atmos.backends import StateBackend as StateBackend  # the procedures' import
from opsbook.providers.atmos.backends import account_backends

BUCKET_NAME = re.compile(r"(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def one_account(cfg: Config, request: PlanRequest, procedure: str) -> Account:
    if len(request.accounts) != 1:
        have = ", ".join(a.name for a in cfg.accounts) or "none configured"
        raise InputError(f"opsbook plan {procedure}: name the account with --account (one of: {have})")
    account = cfg.account(request.accounts[0])
    if account.protected:
        raise InputError(
            f"opsbook plan {procedure}: account {account.name} is protected (protected: true): "
            "opsbook changes nothing there"
        )
    return account


def state_backends(cfg: Config, account: Account, procedure: str) -> list[StateBackend]:
    """The account's S3 state backends (one per bucket), from the configured stacks; InputError when there
    are no stacks, or none of them keeps state for the account in S3."""
    if cfg.stacks is None:
        raise InputError(
            f"opsbook plan {procedure}: the state bucket comes from the Atmos stacks' backend "
            "configuration: set stacks.atmos_config in opsbook.yaml"
        )
    found = account_backends(cfg, account)
    if not found:
        raise InputError(
            f"opsbook plan {procedure}: no stack keeps Terraform state for account {account.name} "
            "in S3 (stacks.account_map, or vars.account_id, names the account of each stack)"
        )
    return found


def state_bucket_missing(backend: StateBackend, account: Account, procedure: str) -> InputError:
    return InputError(
        f"opsbook plan {procedure}: the stacks keep state in s3://{backend.bucket}, which does not exist "
        f"in account {account.name}"
    )


def backup_bucket(
    cfg: Config, account: Account, backend: StateBackend, given: str | None, procedure: str
) -> str:
    """`--backup-bucket`, else `backup.tfstate_bucket` filled in; refused when it is not a bucket name or is
    the state bucket itself."""
    name = given or cfg.backup.tfstate_bucket.format(
        account_id=account.id or "", account=account.name, state_bucket=backend.bucket, region=backend.region
    )
    where = "--backup-bucket" if given else "backup.tfstate_bucket"
    if not BUCKET_NAME.fullmatch(name):
        raise InputError(f"opsbook plan {procedure}: {where}: {name!r} is not an S3 bucket name")
    if name == backend.bucket:
        raise InputError(f"opsbook plan {procedure}: {where}: {name} is the state bucket itself")
    return name
