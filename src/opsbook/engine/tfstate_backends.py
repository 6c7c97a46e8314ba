"""An account's Terraform state as the Atmos stacks configure it (`terraform.backend.s3`), not a guessed name:
which buckets hold its state, where each component's state object is, and how it is locked.

A stack belongs to the account `stacks.account_map` gives it (as `stack-set` and the estate do), else the
configured account whose id is its `vars.account_id`. Its S3 state object is at
`<workspace_key_prefix>/<workspace>/<key>` (Terraform's S3 backend; `<key>` alone in the `default`
workspace), locked by the item `<bucket>/<object key>` in `dynamodb_table` when it names one, or by the
object `<object key>.tflock` with `use_lockfile`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from opsbook.core.config import Account, Config
from opsbook.core.errors import InputError
from opsbook.procedures.registry import PlanRequest
from opsbook.providers.atmos.estate import stack_account

BUCKET_NAME = re.compile(r"(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class StateBackend:
    bucket: str
    region: str
    lock_table: str | None  # `dynamodb_table`
    lockfile: bool  # `use_lockfile`
    encrypt: bool
    kms_key_id: str | None
    keys: dict[str, str] = field(default_factory=dict)  # state object key -> "stack component"


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


def object_key(backend: dict[str, Any], workspace: str) -> str:
    key = str(backend.get("key") or "terraform.tfstate")
    if not workspace or workspace == "default":
        return key
    return f"{backend.get('workspace_key_prefix') or 'env:'}/{workspace}/{key}"


def _owner(cfg: Config, stack: str, vars_: dict[str, Any]) -> str:
    """The account a stack deploys to; "" for a stack the account map does not cover (not this account's)."""
    if cfg.stacks is not None and cfg.stacks.account_map:
        try:
            return stack_account(stack, vars_, cfg.stacks.account_map)
        except InputError:
            return ""
    return str(vars_.get("account_id") or "")


def state_backends(cfg: Config, account: Account, procedure: str) -> list[StateBackend]:
    """The account's S3 state backends (one per bucket), from the configured stacks; InputError when there
    are no stacks, or none of them keeps state for the account in S3."""
    from opsbook.providers.atmos.resolver import Stacks

    if cfg.stacks is None:
        raise InputError(
            f"opsbook plan {procedure}: the state bucket comes from the Atmos stacks' backend "
            "configuration: set stacks.atmos_config in opsbook.yaml"
        )
    found: dict[str, StateBackend] = {}
    for stack, body in Stacks.load(cfg.stacks.atmos_config).describe_stacks().items():
        for name, section in ((body.get("components") or {}).get("terraform") or {}).items():
            meta = section.get("metadata") or {}
            if meta.get("type") == "abstract" or meta.get("enabled") is False:
                continue
            if section.get("backend_type") != "s3" or _owner(cfg, stack, section.get("vars") or {}) not in (
                account.name,
                account.id,
            ):
                continue
            backend = section.get("backend") or {}
            bucket = str(backend.get("bucket") or "")
            if not bucket:
                raise InputError(f"stack {stack} component {name}: its S3 backend names no bucket")
            known = found.setdefault(
                bucket,
                StateBackend(
                    bucket=bucket,
                    region=str(backend.get("region") or ""),
                    lock_table=backend.get("dynamodb_table") or None,
                    lockfile=bool(backend.get("use_lockfile")),
                    encrypt=bool(backend.get("encrypt")),
                    kms_key_id=backend.get("kms_key_id") or None,
                ),
            )
            known.keys[object_key(backend, str(section.get("workspace") or ""))] = f"{stack} {name}"
    if not found:
        raise InputError(
            f"opsbook plan {procedure}: no stack keeps Terraform state for account {account.name} "
            "in S3 (stacks.account_map, or vars.account_id, names the account of each stack)"
        )
    return list(found.values())


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
