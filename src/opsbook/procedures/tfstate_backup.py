"""Terraform state backup item kinds (guide: Backup Operations, "Backup Terraform state"):

- `s3-backup-bucket`: create the backup bucket as carefully as a state bucket (versioning, default
  encryption, every public access block, owner-enforced objects), tagged with the plan's hash and
  ManagedBy=opsbook. Undo deletes it, only when this plan made it and it is empty.
- `tfstate-backup`: copy every current object of the state bucket (lock files aside) under the plan's
  dated prefix of the backup bucket, then write the manifest beside them (`<prefix>manifest.json`: each key,
  its source version id, size and SHA-256), then read every copy back and compare. The manifest is written
  last, so its presence means the copy finished; re-running finds it and acts no more. Undo deletes every
  version under the prefix, only of a manifest this plan wrote.
- wait `tfstate-backup-verified`: every copy the manifest lists reads back with its size and SHA-256.

Item params: `bucket`, `region` (bucket); `source`, `bucket`, `prefix`, `account` (backup).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.rds import PLAN_TAG
from opsbook.procedures.steps import wait_condition
from opsbook.procedures.tfstate_lock import read, sha256

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "opsbook.tfstate-backup/v1"
LOCK_SUFFIXES = (".tflock",)  # Terraform's lock files: not state


def bucket_tags(s3: Any, bucket: str) -> dict[str, str] | None:
    """The bucket's tags ({} without any), or None when there is no such bucket."""
    try:
        return {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    except s3.exceptions.NoSuchBucket:
        return None
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchTagSet":
            return {}
        raise


# -- the backup bucket -------------------------------------------------------------------------------------


def recheck_bucket(item: PlanItem, clients: Clients) -> Live:
    name = item.params["bucket"]
    tags = bucket_tags(clients("s3"), name)
    if tags is None:
        return Live("eligible", f"{name} does not exist yet")
    if tags.get(PLAN_TAG) == clients.plan_hash:
        return Live("done", f"{name} was made by this plan", tags)
    return Live(
        "changed", f"{name} was created meanwhile, not by this plan: check whose it is, then plan again", tags
    )


def create_bucket(item: PlanItem, clients: Clients) -> dict[str, Any]:
    s3, name, region = clients("s3"), item.params["bucket"], item.params["region"]
    where = {"CreateBucketConfiguration": {"LocationConstraint": region}} if region != "us-east-1" else {}
    s3.create_bucket(Bucket=name, **where)
    tags = {PLAN_TAG: clients.plan_hash, "ManagedBy": "opsbook", "Purpose": "terraform-state-backup"}
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    blocked = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(blocked, True))
    s3.put_bucket_ownership_controls(
        Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    return {"bucket": name}


def delete_bucket(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    s3, name = clients("s3"), item.params["bucket"]
    tags = bucket_tags(s3, name)
    if tags is None:
        return {"deleted": False, "reason": f"{name} is already gone"}
    if tags.get(PLAN_TAG) != clients.plan_hash:
        raise RuntimeError(f"{name} was not made by this plan (no {PLAN_TAG} tag of it): left alone")
    if s3.list_object_versions(Bucket=name, MaxKeys=1).get("Versions"):
        raise RuntimeError(f"{name} holds objects this plan did not write: left alone")
    s3.delete_bucket(Bucket=name)
    return {"deleted": True, "bucket": name}


item_kind(
    "s3-backup-bucket",
    action="create-bucket",
    permissions=(
        "s3:CreateBucket",
        "s3:PutBucketTagging",
        "s3:GetBucketTagging",
        "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketOwnershipControls",
        "s3:ListBucketVersions",
        "s3:DeleteBucket",
    ),
    recheck=recheck_bucket,
    act=create_bucket,
    undo=delete_bucket,
)


# -- copy, manifest, verify --------------------------------------------------------------------------------


def manifest_of(clients: Clients, bucket: str, prefix: str) -> dict[str, Any] | None:
    s3 = clients("s3")
    try:
        body, _ = read(s3, bucket, prefix + MANIFEST)
    except (s3.exceptions.NoSuchKey, s3.exceptions.NoSuchBucket):
        return None
    found: dict[str, Any] = json.loads(body)
    return found


def recheck_backup(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    manifest = manifest_of(clients, p["bucket"], p["prefix"])
    if manifest is not None:
        if manifest.get("plan_hash") == clients.plan_hash:
            return Live(
                "done", f"s3://{p['bucket']}/{p['prefix']}{MANIFEST} lists {len(manifest['objects'])} copies"
            )
        return Live("changed", f"s3://{p['bucket']}/{p['prefix']} holds another backup: make a new plan")
    if bucket_tags(clients("s3"), p["source"]) is None:
        return Live("changed", f"state bucket {p['source']} no longer exists")
    return Live("eligible", f"copy s3://{p['source']} to s3://{p['bucket']}/{p['prefix']}")


def state_objects(s3: Any, bucket: str) -> list[dict[str, Any]]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [o for page in pages for o in page.get("Contents", []) if not o["Key"].endswith(LOCK_SUFFIXES)]


def copy_all(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p, s3 = item.params, clients("s3")
    entries = []
    for obj in state_objects(s3, p["source"]):
        body, got = read(s3, p["source"], obj["Key"])
        digest = sha256(body)
        s3.put_object(
            Bucket=p["bucket"],
            Key=p["prefix"] + obj["Key"],
            Body=body,
            ServerSideEncryption="AES256",
            ContentType=got.get("ContentType") or "application/json",
            Metadata={"source-version-id": got.get("VersionId") or "", "sha256": digest},
        )
        entries.append(
            {
                "key": obj["Key"],
                "version_id": got.get("VersionId"),
                "size": len(body),
                "sha256": digest,
                "last_modified": got["LastModified"].isoformat(),
            }
        )
    manifest = {
        "format": MANIFEST_FORMAT,
        "account": p["account"],
        "source_bucket": p["source"],
        "plan_hash": clients.plan_hash,
        "written_at": datetime.now(UTC).isoformat(),
        "objects": entries,
    }
    s3.put_object(
        Bucket=p["bucket"],
        Key=p["prefix"] + MANIFEST,
        Body=json.dumps(manifest, indent=2).encode(),
        ServerSideEncryption="AES256",
        ContentType="application/json",
    )
    ok, progress = verified(item, clients, {})
    if not ok:
        raise RuntimeError(f"the copies do not read back as copied: {progress}")
    return {
        "manifest": f"s3://{p['bucket']}/{p['prefix']}{MANIFEST}",
        "objects": len(entries),
        "bytes": sum(e["size"] for e in entries),
    }


def delete_copies(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    p, s3 = item.params, clients("s3")
    manifest = manifest_of(clients, p["bucket"], p["prefix"])
    if manifest is not None and manifest.get("plan_hash") != clients.plan_hash:
        raise RuntimeError(f"s3://{p['bucket']}/{p['prefix']} holds another plan's backup: left alone")
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=p["bucket"], Prefix=p["prefix"])
        versions = [v for page in pages for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
    except s3.exceptions.NoSuchBucket:
        versions = []
    for v in versions:
        s3.delete_object(Bucket=p["bucket"], Key=v["Key"], VersionId=v["VersionId"])
    return {"deleted": len(versions), "prefix": f"s3://{p['bucket']}/{p['prefix']}"}


item_kind(
    "tfstate-backup",
    action="copy-state-objects",
    permissions=(
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:GetBucketTagging",
        "s3:ListBucketVersions",
        "s3:DeleteObjectVersion",
    ),
    recheck=recheck_backup,
    act=copy_all,
    undo=delete_copies,
)


def verified(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    p, s3 = item.params, clients("s3")
    manifest = manifest_of(clients, p["bucket"], p["prefix"])
    if manifest is None:
        return False, f"no manifest at s3://{p['bucket']}/{p['prefix']}{MANIFEST} yet"
    bad = []
    for entry in manifest["objects"]:
        body, _ = read(s3, p["bucket"], p["prefix"] + entry["key"])
        if len(body) != entry["size"] or sha256(body) != entry["sha256"]:
            bad.append(entry["key"])
    total = len(manifest["objects"])
    if bad:
        return False, f"{len(bad)} of {total} copies differ from the manifest: {', '.join(bad[:3])}"
    return True, f"{total}/{total} copies read back with the manifest's size and SHA-256"


wait_condition(
    "tfstate-backup-verified",
    verified,
    description="every copy the backup's manifest lists reads back with its size and SHA-256",
)
