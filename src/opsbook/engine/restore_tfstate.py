"""Planner of the guide's "Restore Terraform state" (`aws s3 cp s3://terraform-state-backup-${AWS_ACCOUNT_ID}/
vpc/terraform.tfstate s3://terraform-state-${AWS_ACCOUNT_ID}/vpc/terraform.tfstate`), read-only.

One state object (`--key`, as the stacks' backend places it) of the account's state buckets, from a backup
`backup-tfstate` made (`--from-backup <its prefix>`, checked against its manifest's SHA-256) or from an
earlier S3 version (`--version-id`). Refused: a state whose lock is held (Terraform is running: the plan
names who holds it), a source that is not a Terraform state or does not match its manifest, the content
the state already has, and a bucket without versioning when there is no backup bucket to keep the
overwritten state in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound
from opsbook.engine.backup_tfstate import aws_clients, bucket, bucket_state
from opsbook.engine.failures import as_target_error
from opsbook.engine.restore_placement import age
from opsbook.engine.tfstate_backends import (
    StateBackend,
    backup_bucket,
    one_account,
    state_backends,
    state_bucket_missing,
)
from opsbook.procedures.plan import Plan, PlanItem, Wait, new_plan
from opsbook.procedures.registry import PlanRequest, ProcedureParams, procedure
from opsbook.procedures.tfstate_backup import MANIFEST
from opsbook.procedures.tfstate_lock import head as head_of
from opsbook.procedures.tfstate_lock import held, read, sha256

SECTION = "Backup & Restore / Restore Operations"


class RestoreTfstateParams(ProcedureParams):
    key: str = Field(description="The state object's key, e.g. vpc/mycompany-dev-use1/terraform.tfstate.")
    from_backup: str | None = Field(
        None, description="The backup's prefix in the backup bucket (e.g. 20250101-080000)."
    )
    version_id: str | None = Field(None, description="An earlier S3 version of the state object.")
    backup_bucket: str | None = Field(None, description="The backup bucket (default: backup.tfstate_bucket).")
    wait_timeout: int = Field(300, ge=10, le=86400, description="Seconds to wait for the restored state.")


def summary(body: bytes, where: str, procedure: str) -> str:
    try:
        state = json.loads(body)
        assert isinstance(state, dict) and "serial" in state and "version" in state
    except (ValueError, AssertionError):
        raise InputError(f"opsbook plan {procedure}: {where} is not a Terraform state") from None
    return f"serial {state['serial']}, {len(state.get('resources') or [])} resources, {len(body) / 1024:,.1f} KiB"


def find_backend(backends: list[StateBackend], key: str, procedure: str) -> StateBackend:
    for b in backends:
        if key in b.keys:
            return b
    if len(backends) == 1:  # a state object the stacks no longer name is still the bucket's
        return backends[0]
    have = ", ".join(sorted(k for b in backends for k in b.keys)[:8])
    raise NotFound(f"opsbook plan {procedure}: --key {key!r}: no stack keeps its state there (have: {have})")


def from_version(
    s3: Any, b: StateBackend, key: str, version: str, procedure: str
) -> tuple[dict[str, Any], bytes]:
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=b.bucket, Prefix=key)
    versions = [v for page in pages for v in page.get("Versions", []) if v["Key"] == key]
    match = [v for v in versions if v["VersionId"] == version]
    if not match:
        have = ", ".join(v["VersionId"] for v in versions[:5]) or "none"
        raise NotFound(
            f"opsbook plan {procedure}: --version-id {version!r}: no such version of "
            f"s3://{b.bucket}/{key} (newest: {have})"
        )
    if match[0]["IsLatest"]:
        raise InputError(f"opsbook plan {procedure}: --version-id {version} is already the current version")
    body, _ = read(s3, b.bucket, key, version)
    return {"bucket": b.bucket, "key": key, "version_id": version, "written": match[0]["LastModified"]}, body


def from_backup(s3: Any, dest: str, prefix: str, key: str, procedure: str) -> tuple[dict[str, Any], bytes]:
    where = f"s3://{dest}/{prefix}"
    try:
        manifest = json.loads(read(s3, dest, prefix + MANIFEST)[0])
    except (s3.exceptions.NoSuchKey, s3.exceptions.NoSuchBucket):
        raise NotFound(
            f"opsbook plan {procedure}: --from-backup: no backup manifest at {where}{MANIFEST}"
        ) from None
    entry = next((e for e in manifest.get("objects", []) if e.get("key") == key), None)
    if entry is None:
        raise NotFound(f"opsbook plan {procedure}: the backup at {where} holds no {key}")
    body, _ = read(s3, dest, prefix + key)
    if sha256(body) != entry["sha256"] or len(body) != entry["size"]:
        raise InputError(
            f"opsbook plan {procedure}: {where}{key} differs from its manifest's SHA-256: the copy "
            "is damaged, choose another backup"
        )
    return {
        "bucket": dest,
        "key": prefix + key,
        "version_id": None,
        "written": datetime.fromisoformat(entry["last_modified"]),
    }, body


@procedure(
    "restore-tfstate",
    title="Restore one Terraform state object from a backup or an earlier version, refusing while it is locked",
    section=SECTION,
    kinds=("tfstate-restore",),
    params=RestoreTfstateParams,
    permissions=("s3:ListBucket", "s3:ListBucketVersions"),  # the backups and the state's versions
    examples=(
        "opsbook plan restore-tfstate --account dev --key vpc/mycompany-dev-use1/terraform.tfstate "
        "--from-backup 20250101-080000 -o restore.json",
    ),
    targets=("account",),
)
def plan_restore_tfstate(cfg: Config, params: RestoreTfstateParams, request: PlanRequest) -> Plan:
    name = "restore-tfstate"
    if (params.from_backup is None) == (params.version_id is None):
        raise InputError(f"opsbook plan {name}: give --from-backup PREFIX or --version-id V (one of them)")
    account = one_account(cfg, request, name)
    b = find_backend(state_backends(cfg, account, name), params.key, name)
    region = b.region or cfg.regions_of(account)[0]
    make = aws_clients(cfg, account, region)
    s3, now = make("s3"), datetime.now(UTC).replace(microsecond=0)
    where = f"aws:{account.name}/{region}"
    dest = backup_bucket(cfg, account, b, params.backup_bucket, name)
    if bucket_state(s3, b.bucket, where) == "missing":
        raise state_bucket_missing(b, account, name)
    try:  # opsbook's own refusals pass through as_target_error unchanged
        lock = held(make, b.bucket, params.key, b.lock_table, b.lockfile)
        if lock:
            raise InputError(f"opsbook plan {name}: {params.key} is {lock}: wait until Terraform is done")
        head = head_of(s3, b.bucket, params.key)
        if params.version_id:
            source, body = from_version(s3, b, params.key, params.version_id, name)
        else:
            source, body = from_backup(s3, dest, params.from_backup.strip("/") + "/", params.key, name)  # type: ignore[union-attr]
        what = summary(body, f"s3://{source['bucket']}/{source['key']}", name)
        if head is not None and sha256(read(s3, b.bucket, params.key)[0]) == sha256(body):
            raise InputError(
                f"opsbook plan {name}: {params.key} already has that content: nothing to restore"
            )
        versioned = s3.get_bucket_versioning(Bucket=b.bucket).get("Status") == "Enabled"
    except Exception as exc:  # noqa: BLE001 - an account that cannot be read: its target error, exit 3
        raise as_target_error(
            exc, where=where, action="s3:GetObject, s3:ListBucketVersions or s3:GetBucketVersioning"
        ) from None
    keep = None
    if not versioned and head is not None:
        if bucket_state(s3, dest, where) != "exists":
            raise InputError(
                f"opsbook plan {name}: versioning is off on {b.bucket} and backup bucket {dest} does "
                "not exist to keep the state it overwrites: run backup-tfstate first"
            )
        keep = {"bucket": dest, "key": f"pre-restore/{now:%Y%m%d-%H%M%S}/{params.key}"}
    current = head.get("VersionId") if head is not None else None
    encryption = (
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": b.kms_key_id}
        if b.kms_key_id
        else {"ServerSideEncryption": "AES256"}
        if b.encrypt
        else {}
    )
    origin = f"s3://{source['bucket']}/{source['key']}" + (
        f" version {v}" if (v := source["version_id"]) else ""
    )
    if head is None:
        over = "(no current version: it is created)"
    elif keep is None:
        over = f"(version {current} stays recoverable)"
    else:
        over = f"(copied to s3://{dest}/{keep['key']} first)"
    lock_word = f"under its lock in {b.lock_table}" if b.lock_table else "no lock table to take"
    source = {k: v for k, v in source.items() if k != "written"} | {"age": age(now, source["written"])}
    item = PlanItem(
        id="001",
        kind="tfstate-restore",
        action="restore-state-object",
        account=account.name,
        account_id=account.id,
        region=region,
        resource=bucket(b.bucket).model_copy(update={"name": params.key}),
        reason=f"write {origin} ({what}, written {source['age']} ago) over s3://{b.bucket}/{params.key} {over}; "
        f"{lock_word}",
        evidence={
            "source": source,
            "stack": b.keys.get(params.key),
            "versioned": versioned,
            "lock_table": b.lock_table,
            "sha256": sha256(body),
        },
        params={
            "bucket": b.bucket,
            "key": params.key,
            "source": source,
            "sha256": sha256(body),
            "current_version": current,
            "current_etag": head.get("ETag") if head is not None else None,
            "lock_table": b.lock_table,
            "lockfile": b.lockfile,
            "encryption": encryption,
            "keep": keep,
        },
        wait=Wait(condition="tfstate-restored", timeout_s=params.wait_timeout, interval_s=1),
    )
    return new_plan(
        name,
        [item],
        now=now,
        ttl=request.ttl,
        ordered=True,
        accounts=[account.name],
        regions=[region],
        parameters=params.model_dump(mode="json"),
    )
