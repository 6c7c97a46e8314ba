"""`backup-tfstate` and `restore-tfstate` on the sandbox's seeded state (dev: terraform-state-111111111111,
its lock table, an earlier version of every state object), through the plan engine, effects read back
with boto3: the backup bucket is created, every state object is copied with a manifest whose SHA-256s
are the objects'; rollback removes both. A restore is refused while the state's lock item exists (at
plan and at apply time), then writes the planned content under the lock, updates Terraform's digest,
keeps the overwritten version (the plan names it) and rollback makes it current again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.errors import InputError, NotFound
from opsbook.engine.procedures import make_plan
from opsbook.procedures.registry import PlanRequest
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.aws.seeds.state import LOCK_TABLE
from opsbook.sandbox.estate import account
from tests.procedures.rds_helpers import apply, results

STATE = "terraform-state-111111111111"
BACKUP = "terraform-state-backup-111111111111"
KEY = "vpc/mycompany-dev-use1/terraform.tfstate"
LOCK = {"LockID": {"S": f"{STATE}/{KEY}"}}


def plan(cfg: Any, procedure: str, accounts: tuple[str, ...] = ("dev",), **raw: Any) -> Any:
    return make_plan(cfg, procedure, {"wait_timeout": 30, **raw}, PlanRequest(accounts=accounts))


def versions(s3: Any, key: str = KEY) -> list[dict[str, Any]]:
    found = s3.list_object_versions(Bucket=STATE, Prefix=key).get("Versions", [])
    return [v for v in found if v["Key"] == key]


def body(s3: Any, bucket: str, key: str, version: str | None = None) -> bytes:
    extra = {"VersionId": version} if version else {}
    data: bytes = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
    return data


def digest(ddb: Any, key: str = KEY) -> str:
    return str(
        ddb.get_item(TableName=LOCK_TABLE, Key={"LockID": {"S": f"{STATE}/{key}-md5"}})["Item"]["Digest"]["S"]
    )


@pytest.fixture()
def dev(sandbox: Any) -> Iterator[tuple[Any, Any]]:
    """Dev's S3 and DynamoDB clients; afterwards the state versions, digests and lock items the test wrote
    are gone, and so is the backup bucket (moto's state is process-wide)."""
    client = clients_for(sandbox.aws_url, account("dev"))
    s3, ddb = client("s3"), client("dynamodb")
    before = {v["VersionId"] for v in s3.list_object_versions(Bucket=STATE).get("Versions", [])}
    items = ddb.scan(TableName=LOCK_TABLE)["Items"]
    yield s3, ddb
    for v in s3.list_object_versions(Bucket=STATE).get("Versions", []) + s3.list_object_versions(
        Bucket=STATE
    ).get("DeleteMarkers", []):
        if v["VersionId"] not in before:
            s3.delete_object(Bucket=STATE, Key=v["Key"], VersionId=v["VersionId"])
    for item in ddb.scan(TableName=LOCK_TABLE)["Items"]:
        ddb.delete_item(TableName=LOCK_TABLE, Key={"LockID": item["LockID"]})
    for item in items:
        ddb.put_item(TableName=LOCK_TABLE, Item=item)
    if BACKUP in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        listed = s3.list_object_versions(Bucket=BACKUP)
        for v in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
            s3.delete_object(Bucket=BACKUP, Key=v["Key"], VersionId=v["VersionId"])
        s3.delete_bucket(Bucket=BACKUP)


def test_backup_creates_the_bucket_copies_with_a_manifest_of_checksums_and_rolls_back(
    sandbox_config: Any, dev: tuple[Any, Any], tmp_path: Path
) -> None:
    s3, _ = dev
    backup = plan(sandbox_config, "backup-tfstate", accounts=("dev",))
    assert [i.kind for i in backup.items] == ["s3-backup-bucket", "tfstate-backup"]
    prefix = backup.items[1].params["prefix"]
    assert prefix == f"{backup.created_at:%Y%m%d-%H%M%S}/" and backup.items[1].depends_on == ["001"]
    assert BACKUP not in [b["Name"] for b in s3.list_buckets()["Buckets"]]  # planning made nothing

    progress: list[str] = []
    assert results(apply(sandbox_config, backup, tmp_path, progress)) == ["done", "done"]
    assert s3.get_bucket_versioning(Bucket=BACKUP)["Status"] == "Enabled"
    manifest = json.loads(body(s3, BACKUP, prefix + "manifest.json"))
    current = {o["Key"] for o in s3.list_objects_v2(Bucket=STATE)["Contents"]}
    assert {e["key"] for e in manifest["objects"]} == current and manifest["plan_hash"] == backup.plan_hash
    for entry in manifest["objects"]:
        original = s3.get_object(Bucket=STATE, Key=entry["key"])
        data = original["Body"].read()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
        assert entry["version_id"] == original["VersionId"]
        assert body(s3, BACKUP, prefix + entry["key"]) == data
    assert f"{len(current)}/{len(current)} copies read back" in progress[-1]

    assert results(apply(sandbox_config, backup, tmp_path)) == ["already-done", "already-done"]
    assert results(apply(sandbox_config, backup, tmp_path, rollback=True)) == ["undone", "undone"]
    assert BACKUP not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_restore_is_refused_while_locked_then_restores_under_the_lock_and_rolls_back(
    sandbox_config: Any, dev: tuple[Any, Any], tmp_path: Path
) -> None:
    s3, ddb = dev
    (earlier,) = [v for v in versions(s3) if not v["IsLatest"]]
    (latest,) = [v for v in versions(s3) if v["IsLatest"]]
    info = {
        "ID": "3f1c",
        "Operation": "OperationTypeApply",
        "Who": "alice@ci",
        "Created": "2026-01-01T08:00:00Z",
    }
    ddb.put_item(TableName=LOCK_TABLE, Item={**LOCK, "Info": {"S": json.dumps(info)}})
    with pytest.raises(InputError, match="is locked by alice@ci \\(OperationTypeApply\\).*lock ID 3f1c"):
        plan(sandbox_config, "restore-tfstate", accounts=("dev",), key=KEY, version_id=earlier["VersionId"])
    ddb.delete_item(TableName=LOCK_TABLE, Key=LOCK)

    restore = plan(
        sandbox_config, "restore-tfstate", accounts=("dev",), key=KEY, version_id=earlier["VersionId"]
    )
    item = restore.items[0]
    assert f"version {latest['VersionId']} stays recoverable" in item.reason and "serial 1" in item.reason
    ddb.put_item(TableName=LOCK_TABLE, Item={**LOCK, "Info": {"S": json.dumps(info)}})  # Terraform started
    skipped = apply(sandbox_config, restore, tmp_path)
    assert results(skipped) == ["skipped"] and "locked by alice@ci" in skipped.outcomes[0].reason
    assert body(s3, STATE, KEY) == body(s3, STATE, KEY, latest["VersionId"])  # nothing written
    ddb.delete_item(TableName=LOCK_TABLE, Key=LOCK)

    progress: list[str] = []
    assert results(apply(sandbox_config, restore, tmp_path, progress)) == ["done"]
    restored = body(s3, STATE, KEY)
    assert restored == body(s3, STATE, KEY, earlier["VersionId"]) and json.loads(restored)["serial"] == 1
    assert digest(ddb) == hashlib.md5(restored).hexdigest()  # noqa: S324 - Terraform reads it again
    assert "Item" not in ddb.get_item(TableName=LOCK_TABLE, Key=LOCK)  # the lock it took is released
    assert latest["VersionId"] in {v["VersionId"] for v in versions(s3)}  # the overwritten state stays
    assert f"version {latest['VersionId']} stays" in progress[-1]

    assert results(apply(sandbox_config, restore, tmp_path)) == ["already-done"]
    assert results(apply(sandbox_config, restore, tmp_path, rollback=True)) == ["undone"]
    back = body(s3, STATE, KEY)
    assert back == body(s3, STATE, KEY, latest["VersionId"]) and digest(ddb) == hashlib.md5(back).hexdigest()  # noqa: S324


def test_restore_from_a_backup_checks_the_copy_against_its_manifest(
    sandbox_config: Any, dev: tuple[Any, Any], tmp_path: Path
) -> None:
    s3, _ = dev
    backup = plan(sandbox_config, "backup-tfstate", accounts=("dev",))
    assert results(apply(sandbox_config, backup, tmp_path)) == ["done", "done"]
    prefix = backup.items[1].params["prefix"]
    s3.put_object(Bucket=STATE, Key=KEY, Body=b'{"version": 4, "serial": 9, "resources": []}')  # a bad apply
    restore = plan(
        sandbox_config, "restore-tfstate", accounts=("dev",), key=KEY, from_backup=prefix.rstrip("/")
    )
    assert results(apply(sandbox_config, restore, tmp_path)) == ["done"]
    manifest = json.loads(body(s3, BACKUP, prefix + "manifest.json"))
    entry = next(e for e in manifest["objects"] if e["key"] == KEY)
    assert hashlib.sha256(body(s3, STATE, KEY)).hexdigest() == entry["sha256"]

    s3.put_object(Bucket=BACKUP, Key=prefix + KEY, Body=b"damaged")
    with pytest.raises(InputError, match="differs from its manifest's SHA-256"):
        plan(sandbox_config, "restore-tfstate", accounts=("dev",), key=KEY, from_backup=prefix)


@pytest.mark.parametrize(
    ("accounts", "raw", "error", "words"),
    [
        (("dev",), {"key": KEY}, InputError, "give --from-backup PREFIX or --version-id V"),
        ((), {"key": KEY, "version_id": "x"}, InputError, "name the account with --account"),
        (
            ("dev",),
            {"key": KEY, "version_id": "nope"},
            NotFound,
            "no such version of s3://terraform-state-111",
        ),
        (("dev",), {"key": KEY, "from_backup": "20990101-000000"}, NotFound, "no backup manifest at"),
        (
            ("dev",),
            {"key": KEY, "version_id": "x", "backup_bucket": "Bad_Name"},
            InputError,
            "not an S3 bucket",
        ),
    ],
)
def test_restore_refusals(
    sandbox_config: Any, accounts: tuple[str, ...], raw: dict[str, Any], error: type, words: str
) -> None:
    with pytest.raises(error) as err:
        plan(sandbox_config, "restore-tfstate", accounts=accounts, **raw)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_the_current_version_cannot_be_restored_over_itself(
    sandbox_config: Any, dev: tuple[Any, Any]
) -> None:
    s3, _ = dev
    (latest,) = [v for v in versions(s3) if v["IsLatest"]]
    with pytest.raises(InputError, match="is already the current version"):
        plan(sandbox_config, "restore-tfstate", accounts=("dev",), key=KEY, version_id=latest["VersionId"])


def test_a_state_written_since_the_plan_is_not_overwritten(
    sandbox_config: Any, dev: tuple[Any, Any], tmp_path: Path
) -> None:
    s3, _ = dev
    (earlier,) = [v for v in versions(s3) if not v["IsLatest"]]
    restore = plan(sandbox_config, "restore-tfstate", key=KEY, version_id=earlier["VersionId"])
    newer = b'{"version": 4, "serial": 3, "resources": []}'
    s3.put_object(Bucket=STATE, Key=KEY, Body=newer)  # a terraform apply meanwhile
    skipped = apply(sandbox_config, restore, tmp_path)
    assert results(skipped) == ["skipped"] and "was written since the plan" in skipped.outcomes[0].reason
    assert body(s3, STATE, KEY) == newer


def test_a_state_bucket_that_is_gone_is_refused_not_an_internal_error(
    sandbox_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opsbook.engine import restore_tfstate
    from opsbook.engine.tfstate_backends import StateBackend

    gone = StateBackend("terraform-state-gone-111111111111", "us-east-1", None, False, True, None, {KEY: "x"})
    monkeypatch.setattr(restore_tfstate, "state_backends", lambda *_: [gone])
    for raw in ({"version_id": "v1"}, {"from_backup": "20250101-000000"}):
        with pytest.raises(InputError, match="terraform-state-gone-111111111111, which does not exist"):
            plan(sandbox_config, "restore-tfstate", key=KEY, **raw)
