"""Planner of the guide's "Backup Terraform state" (`aws s3 cp s3://terraform-state-${AWS_ACCOUNT_ID}/
s3://terraform-state-backup-${AWS_ACCOUNT_ID}/ --recursive`), read-only.

The state buckets are the account's S3 backends in the Atmos stacks (engine/tfstate_backends.py); the
backup bucket is `backup.tfstate_bucket` in opsbook.yaml (default `terraform-state-backup-{account_id}`,
the guide's) or `--backup-bucket`. A missing backup bucket is created by the plan's first step (versioning,
encryption, public access blocked, tagged); one that exists but cannot be read (another account's) is
refused. Each state bucket is copied under a prefix dated at plan time (`YYYYMMDD-HHMMSS/`) with a manifest
beside the copies; the step reads every copy back and compares SHA-256 before it is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from opsbook.core.config import Account, Config
from opsbook.core.errors import InputError
from opsbook.core.models import Resource
from opsbook.engine.failures import as_target_error
from opsbook.engine.tfstate_backends import (
    StateBackend,
    backup_bucket,
    one_account,
    state_backends,
    state_bucket_missing,
)
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.procedures.tfstate_backup import MANIFEST, state_objects

SECTION = "Backup & Restore / Backup Operations"


class BackupTfstateParams(ProcedureParams):
    backup_bucket: str | None = Field(
        None,
        description="Copy into this bucket (default: backup.tfstate_bucket, terraform-state-backup-{account_id}).",
    )
    wait_timeout: int = Field(300, ge=10, le=86400, description="Seconds to wait for the copies to verify.")


def bucket(name: str) -> Resource:
    return Resource(id=name, type="AWS::S3::Bucket", arn=f"arn:aws:s3:::{name}", name=name)


def aws_clients(cfg: Config, account: Account, region: str) -> Any:
    """`make(service)`: a boto3 client of the account and region (as apply's Clients makes them)."""
    from opsbook.providers.aws.session import SessionFactory

    sessions = SessionFactory(cfg)
    return lambda service: sessions.client(account, region, service, f"aws:{account.name}/{region}")


def bucket_state(s3: Any, name: str, where: str) -> str:
    """ "exists", "missing", or "forbidden" (someone else's bucket); a target error when S3 cannot be read."""
    try:
        s3.head_bucket(Bucket=name)
        return "exists"
    except Exception as exc:  # noqa: BLE001 - 404/403 are answers; anything else is the target's error
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return "missing"
        if code in ("403", "AccessDenied", "Forbidden"):
            return "forbidden"
        raise as_target_error(exc, where=where, action="s3:ListBucket") from None


def listed(
    s3: Any, backend: StateBackend, account: Account, where: str, procedure: str
) -> list[dict[str, Any]]:
    try:
        return state_objects(s3, backend.bucket)
    except Exception as exc:  # noqa: BLE001 - see bucket_state
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "NoSuchBucket":
            raise state_bucket_missing(backend, account, procedure) from None
        raise as_target_error(exc, where=where, action="s3:ListBucket") from None


@procedure(
    "backup-tfstate",
    title="Copy an account's Terraform state buckets to the backup bucket with a verified SHA-256 manifest",
    section=SECTION,
    kinds=("s3-backup-bucket", "tfstate-backup"),
    params=BackupTfstateParams,
    permissions=("s3:ListBucket",),  # the state bucket and the backup bucket exist, the state objects
    examples=("opsbook plan backup-tfstate --account dev -o tfstate-backup.json",),
    targets=("account", "region"),
)
def plan_backup_tfstate(cfg: Config, params: BackupTfstateParams, request: PlanRequest) -> Plan:
    name = "backup-tfstate"
    account = one_account(cfg, request, name)
    now = datetime.now(UTC).replace(microsecond=0)
    found = account_backup(
        cfg, account, now, params.wait_timeout, name, params.backup_bucket, request.regions
    )
    return new_plan(
        name,
        found.items,
        now=now,
        ttl=request.ttl,
        ordered=True,
        accounts=[account.name],
        regions=found.regions,
        parameters=params.model_dump(mode="json"),
        warnings=found.warnings,
    )


@dataclass(frozen=True)
class AccountBackup:
    items: list[PlanItem]  # ids 001...; a tfstate-backup depends on the bucket step before it
    warnings: list[str]
    regions: list[str]


def account_backup(cfg: Config, account: Account, now: datetime, wait_timeout: int, name: str,
                   given_bucket: str | None = None, regions: Sequence[str] = ()) -> AccountBackup:  # fmt: skip
    """The steps that back up `account`'s state buckets (those in `regions`, when any are named) under the
    prefix dated `now`: create the backup bucket when it is missing, copy with a manifest, verify.
    Reads S3; InputError for what cannot work. Shared by `backup-tfstate` and `backup-all`."""
    backends = state_backends(cfg, account, name)
    if regions:
        backends = [b for b in backends if (b.region or cfg.regions_of(account)[0]) in regions]
        if not backends:
            raise InputError(
                f"opsbook plan {name}: account {account.name} keeps no Terraform state in {', '.join(regions)}"
            )
    if given_bucket and len(backends) > 1:
        raise InputError(
            f"opsbook plan {name}: account {account.name} keeps state in {len(backends)} buckets: "
            "leave out --backup-bucket (backup.tfstate_bucket names one per bucket)"
        )
    prefix = f"{now:%Y%m%d-%H%M%S}/"
    items: list[PlanItem] = []
    warnings: list[str] = []
    used: list[str] = []
    for backend in backends:
        region = backend.region or cfg.regions_of(account)[0]
        where = f"aws:{account.name}/{region}"
        s3 = aws_clients(cfg, account, region)("s3")
        dest = backup_bucket(cfg, account, backend, given_bucket, name)
        if any(i.params.get("bucket") == dest for i in items):
            raise InputError(
                f"opsbook plan {name}: two state buckets would be copied into {dest}: put "
                "{state_bucket} in backup.tfstate_bucket"
            )
        objects = listed(s3, backend, account, where, name)
        have = {o["Key"] for o in objects}
        warnings += [
            f"{what} has no state in s3://{backend.bucket}/{key} yet"
            for key, what in sorted(backend.keys.items())
            if key not in have
        ]
        state = bucket_state(s3, dest, where)
        if state == "forbidden":
            raise InputError(
                f"opsbook plan {name}: backup bucket {dest} exists but account {account.name} cannot "
                "read it (another account's?): set backup.tfstate_bucket or --backup-bucket"
            )
        at = {"account": account.name, "account_id": account.id, "region": region}
        first = f"{len(items) + 1:03d}"
        if state == "missing":
            items.append(
                PlanItem(
                    id=first,
                    kind="s3-backup-bucket",
                    action="create-bucket",
                    **at,
                    resource=bucket(dest),
                    reason=f"create {dest} (versioning, SSE-S3, public access blocked, tagged ManagedBy=opsbook)",
                    params={"bucket": dest, "region": region},
                )
            )
        size = sum(o.get("Size", 0) for o in objects)
        items.append(
            PlanItem(
                id=f"{len(items) + 1:03d}",
                kind="tfstate-backup",
                action="copy-state-objects",
                **at,
                resource=bucket(backend.bucket),
                reason=(
                    f"copy {len(objects)} state objects ({size / 1024:,.1f} KiB) of s3://{backend.bucket}/ to "
                    f"s3://{dest}/{prefix} with {MANIFEST} (keys, version ids, sizes, SHA-256), then read every "
                    "copy back"
                ),
                evidence={
                    "objects": sorted(have),
                    "bytes": size,
                    "stacks": dict(sorted(backend.keys.items())),
                    "backup_bucket_exists": state == "exists",
                },
                params={"source": backend.bucket, "bucket": dest, "prefix": prefix, "account": account.name},
                depends_on=[first] if state == "missing" else [],
                wait=Wait(condition="tfstate-backup-verified", timeout_s=wait_timeout, interval_s=2),
            )
        )
        used.append(region)
    return AccountBackup(items, warnings, sorted(set(used)))
