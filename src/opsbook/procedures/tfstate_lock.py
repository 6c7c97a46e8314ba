"""Terraform's S3 backend lock and digest, as Terraform itself keeps them, for opsbook's state writes.

- DynamoDB (`dynamodb_table`): the lock is the item `LockID = <bucket>/<key>` whose `Info` is JSON (ID,
  Operation, Who, Version, Created, Path); Terraform takes it with a put conditional on
  `attribute_not_exists(LockID)`. Beside it, `<bucket>/<key>-md5` holds `Digest`, the MD5 of the state
  Terraform last wrote: Terraform refuses to read a state whose MD5 differs, so whoever writes the state
  object must update it.
- `use_lockfile`: the lock is the object `<key>.tflock` next to the state.

`held()` says who holds a lock (None when free); `locked()` takes it for one write, as Terraform does, and
releases it after (only its own: the release is conditional on its lock ID).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from opsbook.procedures.kinds import Clients
from opsbook.procedures.plan import actor


def held(
    clients: Callable[[str], Any], bucket: str, key: str, table: str | None, lockfile: bool
) -> str | None:
    """Who holds the state's lock, in words (None: nobody)."""
    if table:
        item = (
            clients("dynamodb")
            .get_item(TableName=table, Key={"LockID": {"S": f"{bucket}/{key}"}}, ConsistentRead=True)
            .get("Item")
        )
        if item is not None:
            return describe(item.get("Info", {}).get("S", ""), f"{table} item {bucket}/{key}")
    if lockfile:
        s3 = clients("s3")
        try:
            body = s3.get_object(Bucket=bucket, Key=f"{key}.tflock")["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        return describe(body.decode("utf-8", "replace"), f"s3://{bucket}/{key}.tflock")
    return None


def describe(info: str, where: str) -> str:
    try:
        lock = json.loads(info) if info else {}
    except ValueError:
        lock = {}
    if not isinstance(lock, dict) or not lock:
        return f"locked ({where})"
    return (
        f"locked by {lock.get('Who', '?')} ({lock.get('Operation', '?')}) since {lock.get('Created', '?')}, "
        f"lock ID {lock.get('ID', '?')} ({where})"
    )


class Locked(RuntimeError):
    """The state's lock was taken by someone else."""


@contextmanager
def locked(clients: Clients, bucket: str, key: str, table: str | None, operation: str) -> Iterator[None]:
    """Hold the state's DynamoDB lock (as Terraform takes it) for the body; without a lock table, nothing
    to take (a lock file is only checked: S3 offers no conditional write opsbook relies on)."""
    if not table:
        yield
        return
    user, host = actor()
    lock_id = str(uuid.uuid4())
    info = {
        "ID": lock_id,
        "Operation": operation,
        "Info": "",
        "Who": f"{user}@{host}",
        "Version": "opsbook",
        "Created": datetime.now(UTC).isoformat(),
        "Path": f"{bucket}/{key}",
    }
    ddb = clients("dynamodb")
    try:
        ddb.put_item(
            TableName=table,
            Item={"LockID": {"S": f"{bucket}/{key}"}, "Info": {"S": json.dumps(info)}},
            ConditionExpression="attribute_not_exists(LockID)",
        )
    except ddb.exceptions.ConditionalCheckFailedException:
        raise Locked(held(clients, bucket, key, table, False) or "locked") from None
    try:
        yield
    finally:
        ddb.delete_item(
            TableName=table,
            Key={"LockID": {"S": f"{bucket}/{key}"}},
            ConditionExpression="contains(Info, :id)",
            ExpressionAttributeValues={":id": {"S": lock_id}},
        )


def set_digest(clients: Clients, bucket: str, key: str, table: str | None, body: bytes) -> None:
    """Terraform's digest of the state just written (only with a lock table, where Terraform keeps it)."""
    if table:
        clients("dynamodb").put_item(
            TableName=table, Item={"LockID": {"S": f"{bucket}/{key}-md5"}, "Digest": {"S": md5(body)}}
        )


def drop_digest(clients: Clients, bucket: str, key: str, table: str | None) -> None:
    """No state object, no digest (as Terraform's own delete leaves it)."""
    if table:
        clients("dynamodb").delete_item(TableName=table, Key={"LockID": {"S": f"{bucket}/{key}-md5"}})


def digest_of(clients: Clients, bucket: str, key: str, table: str | None) -> str | None:
    if not table:
        return None
    item = (
        clients("dynamodb")
        .get_item(TableName=table, Key={"LockID": {"S": f"{bucket}/{key}-md5"}}, ConsistentRead=True)
        .get("Item")
    )
    return None if item is None else str(item.get("Digest", {}).get("S", ""))


def read(s3: Any, bucket: str, key: str, version: str | None = None) -> tuple[bytes, dict[str, Any]]:
    """An object's bytes and its GetObject answer (without the body)."""
    extra = {"VersionId": version} if version else {}
    got = s3.get_object(Bucket=bucket, Key=key, **extra)
    return got.pop("Body").read(), got


def head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """HeadObject of the current version, or None when there is none."""
    try:
        found: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return found


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def md5(body: bytes) -> str:
    return hashlib.md5(body).hexdigest()  # noqa: S324 - Terraform's own checksum of the state, not security
