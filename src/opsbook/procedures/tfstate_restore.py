"""Terraform state restore item kind (guide: Restore Operations, "Restore Terraform state"):

- `tfstate-restore`: write one state object back from a backup copy or from an earlier S3 version, under
  the state's lock (taken as Terraform takes it), then update Terraform's digest so Terraform reads it.
  The bytes written must have the SHA-256 the plan recorded. The version it overwrites stays recoverable:
  with bucket versioning on it is an older version (its id is in the plan and the result); without, the
  step first copies it to `keep` in the backup bucket. Re-check: done when the current version is the one
  this plan wrote; skipped when the state was written since the plan (another version), or is locked.
  Undo writes the overwritten state back the same way, only while the current version is this plan's.
- wait `tfstate-restored`: the current state object has the planned SHA-256 (and the digest matches).

Item params: `bucket`, `key`, `source` ({bucket, key, version_id}), `sha256`, `current_version`, `current_etag`,
`lock_table`, `lockfile`, `encryption` (ServerSideEncryption args), `keep` ({bucket, key} or None).
"""

from __future__ import annotations

from typing import Any

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem
from opsbook.procedures.steps import wait_condition
from opsbook.procedures.tfstate_lock import (
    digest_of,
    drop_digest,
    head,
    held,
    locked,
    md5,
    read,
    set_digest,
    sha256,
)

WROTE = "opsbook-plan"  # object metadata: the plan whose restore wrote this version


def current(clients: Clients, bucket: str, key: str) -> dict[str, Any] | None:
    return head(clients("s3"), bucket, key)


def ours(head: dict[str, Any] | None, plan_hash: str) -> bool:
    return head is not None and (head.get("Metadata") or {}).get(WROTE) == plan_hash


def recheck_restore(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    head = current(clients, p["bucket"], p["key"])
    if ours(head, clients.plan_hash):
        return Live("done", f"{p['key']} is the state this plan restored (version {head.get('VersionId')})")  # type: ignore[union-attr]
    now = head.get("VersionId") if head is not None else None
    etag = head.get("ETag") if head is not None else None  # tells writes apart without versioning too
    if now != p["current_version"] or etag != p["current_etag"]:
        return Live("changed", f"{p['key']} was written since the plan (version {now}, the plan saw "
                               f"{p['current_version']}): make a new plan")  # fmt: skip
    lock = held(clients, p["bucket"], p["key"], p["lock_table"], p["lockfile"])
    if lock:
        return Live("changed", f"{p['key']} is {lock}: restore it when Terraform is done")
    keep = (
        f"version {now} stays in the bucket"
        if not p["keep"]
        else f"it is copied to s3://{p['keep']['bucket']}/{p['keep']['key']} first"
    )
    return Live("eligible", f"{p['key']} is as planned and not locked; {keep}")


def write_state(item: PlanItem, clients: Clients, body: bytes, extra_meta: dict[str, str]) -> str | None:
    """Write `body` as the current state under the lock and update the digest; the new version id."""
    p, s3 = item.params, clients("s3")
    with locked(clients, p["bucket"], p["key"], p["lock_table"], f"opsbook {item.action}"):
        put = s3.put_object(
            Bucket=p["bucket"],
            Key=p["key"],
            Body=body,
            ContentType="application/json",
            Metadata=extra_meta,
            **p["encryption"],
        )
        set_digest(clients, p["bucket"], p["key"], p["lock_table"], body)
    version: str | None = put.get("VersionId")
    return version


def restore(item: PlanItem, clients: Clients) -> dict[str, Any]:
    p, s3 = item.params, clients("s3")
    src = p["source"]
    body, _ = read(s3, src["bucket"], src["key"], src.get("version_id"))
    if sha256(body) != p["sha256"]:
        raise RuntimeError(
            f"s3://{src['bucket']}/{src['key']} has SHA-256 {sha256(body)[:12]}..., the plan "
            f"recorded {p['sha256'][:12]}...: not restored"
        )
    if p["keep"]:  # no versioning: what is overwritten is kept as a copy first
        old, _ = read(s3, p["bucket"], p["key"])
        s3.put_object(
            Bucket=p["keep"]["bucket"], Key=p["keep"]["key"], Body=old, ServerSideEncryption="AES256"
        )
    version = write_state(item, clients, body, {WROTE: clients.plan_hash})
    return {"restored_version_id": version, "overwritten_version_id": p["current_version"], "keep": p["keep"]}


def put_back(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
    """Undo: the state the restore overwrote becomes current again (a new version with its content)."""
    p, s3 = item.params, clients("s3")
    head = current(clients, p["bucket"], p["key"])
    if not ours(head, clients.plan_hash):
        raise RuntimeError(f"{p['key']} was written since this plan restored it: left alone")
    if p["keep"]:
        body, _ = read(s3, p["keep"]["bucket"], p["keep"]["key"])
    elif p["current_version"] is None:  # there was no state object: there is none again (a delete marker)
        with locked(clients, p["bucket"], p["key"], p["lock_table"], f"opsbook {item.action} undo"):
            s3.delete_object(Bucket=p["bucket"], Key=p["key"])
            drop_digest(clients, p["bucket"], p["key"], p["lock_table"])
        return {"deleted": p["key"]}
    else:
        body, _ = read(s3, p["bucket"], p["key"], p["current_version"])
    version = write_state(item, clients, body, {"opsbook-undone-plan": clients.plan_hash})
    return {"put_back_version_id": version, "content_of": p["current_version"] or p["keep"]}


item_kind(
    "tfstate-restore",
    action="restore-state-object",
    permissions=(
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    ),
    recheck=recheck_restore,
    act=restore,
    undo=put_back,
)


def restored(item: PlanItem, clients: Clients, params: dict[str, Any]) -> tuple[bool, str]:
    p = item.params
    body, got = read(clients("s3"), p["bucket"], p["key"])
    digest = digest_of(clients, p["bucket"], p["key"], p["lock_table"])
    md5_ok = digest is None or digest == md5(body)
    ok = sha256(body) == p["sha256"] and md5_ok
    back = (
        f"go back with `opsbook apply PLAN --rollback` (version {p['current_version']} stays)"
        if not p["keep"]
        else f"the old state is at s3://{p['keep']['bucket']}/{p['keep']['key']}"
    )
    what = "the planned SHA-256" if ok else "not the planned content yet" if md5_ok else "a stale digest"
    return ok, f"{p['key']} version {got.get('VersionId')} has {what}; {back}"


wait_condition(
    "tfstate-restored",
    restored,
    description="the state object has the restored content and Terraform's digest of it",
)
