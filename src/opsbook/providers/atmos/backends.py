"""Where the stacks keep Terraform state (`terraform.backend.s3`): each account's state buckets and the
object of every component instance in them.

A stack belongs to the account `stacks.account_map` gives it (as `stack-set` and the estate do), else the
configured account whose id is its `vars.account_id`. Its S3 state object is at
`<workspace_key_prefix>/<workspace>/<key>` (Terraform's S3 backend; `<key>` alone in the `default`
workspace), locked by the item `<bucket>/<object key>` in `dynamodb_table` when it names one, or by the
object `<object key>.tflock` with `use_lockfile`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsbook.core.config import Account, Config
from opsbook.core.errors import InputError
from opsbook.providers.atmos.estate import stack_account


@dataclass(frozen=True)
class StateObject:
    stack: str
    component: str
    file: str  # the stack manifest (stack-relative, without extension) that defines the component


@dataclass(frozen=True)
class StateBackend:
    bucket: str
    region: str
    lock_table: str | None  # `dynamodb_table`
    lockfile: bool  # `use_lockfile`
    encrypt: bool
    kms_key_id: str | None
    keys: dict[str, str] = field(default_factory=dict)  # state object key -> "stack component"
    objects: dict[str, StateObject] = field(default_factory=dict)  # state object key -> its component


def object_key(backend: dict[str, Any], workspace: str) -> str:
    key = str(backend.get("key") or "terraform.tfstate")
    if not workspace or workspace == "default":
        return key
    return f"{backend.get('workspace_key_prefix') or 'env:'}/{workspace}/{key}"


def owner(cfg: Config, stack: str, vars_: dict[str, Any]) -> str:
    """The account a stack deploys to; "" for a stack the account map does not cover (not this account's)."""
    if cfg.stacks is not None and cfg.stacks.account_map:
        try:
            return stack_account(stack, vars_, cfg.stacks.account_map)
        except InputError:
            return ""
    return str(vars_.get("account_id") or "")


def account_backends(cfg: Config, account: Account) -> list[StateBackend]:
    """The account's S3 state backends (one per bucket) from the configured stacks; [] without stacks or
    when no stack keeps state for the account in S3. InputError for an S3 backend naming no bucket."""
    from opsbook.providers.atmos.resolver import Stacks

    if cfg.stacks is None:
        return []
    found: dict[str, StateBackend] = {}
    for stack, body in Stacks.load(cfg.stacks.atmos_config).describe_stacks().items():
        for name, section in ((body.get("components") or {}).get("terraform") or {}).items():
            meta = section.get("metadata") or {}
            if meta.get("type") == "abstract" or meta.get("enabled") is False:
                continue
            if section.get("backend_type") != "s3" or owner(cfg, stack, section.get("vars") or {}) not in (
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
            key = object_key(backend, str(section.get("workspace") or ""))
            known.keys[key] = f"{stack} {name}"
            known.objects[key] = StateObject(stack, name, str(section.get("atmos_stack_file") or ""))
    return list(found.values())
