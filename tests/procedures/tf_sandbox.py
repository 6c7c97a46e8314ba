"""Terraform against the sandbox in tests: a copy of its stacks tree (and a config for it, with or without
the sandbox), and the state objects Terraform writes into the seeded `terraform-state-<account id>`
buckets, read back and put back afterwards."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.sandbox.stacks import STAGES, sandbox_stacks_dir

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")


def copy_tree(dest: Path) -> Path:
    shutil.copytree(sandbox_stacks_dir(), dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dest


def digest(tree: Path) -> str:
    """One hash over every file's path and content: equal digests mean nothing was written."""
    h = hashlib.sha256()
    for p in sorted(tree.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(tree).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def offline_config(tree: Path, db: Path, protected: tuple[str, ...] = ()) -> Config:
    """The three stages' accounts (no sandbox: for what is refused before anything is reached)."""
    accounts = [{"name": s, "id": acct, "protected": s in protected} for s, acct in STAGES.items()]
    return Config.model_validate(
        {"accounts": accounts, "stacks": {"atmos_config": str(tree)}, "storage": {"url": f"sqlite:///{db}"}}
    )


def sandbox_config_file(sandbox: Any, tree: Path, tmp_path: Path) -> Path:
    """opsbook.yaml for the sandbox with `tree` as its stacks (what `sandbox up --config-out` writes)."""
    import yaml

    cfg = sandbox.config(f"sqlite:///{tmp_path}/opsbook.db")
    cfg["stacks"]["atmos_config"] = str(tree)
    path = tmp_path / "opsbook.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def s3_client(sandbox: Any) -> Any:
    import boto3

    from opsbook.providers.aws.session import SANDBOX_KEY

    return boto3.client("s3", endpoint_url=sandbox.aws_url, region_name="us-east-1",
                        aws_access_key_id=SANDBOX_KEY, aws_secret_access_key=SANDBOX_KEY)  # fmt: skip


def where(stage: str, component: str) -> tuple[str, str]:
    """(bucket, key) of the component's state in mycompany-<stage>-use1 (workspace_key_prefix/workspace/key)."""
    return f"terraform-state-{STAGES[stage]}", f"{component}/mycompany-{stage}-use1/terraform.tfstate"


def versions(s3: Any, bucket: str, key: str) -> set[str]:
    found = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    return {v["VersionId"] for v in found if v["Key"] == key}


def state(s3: Any, stage: str, component: str) -> dict[str, Any]:
    bucket, key = where(stage, component)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


@contextmanager
def restoring(sandbox: Any, component: str, stages: tuple[str, ...]) -> Iterator[None]:
    """The state versions written inside are deleted afterwards, so the seeded ones are current again, and
    so are their digests in each account's lock table (Terraform refuses a state whose digest differs)."""
    from opsbook.sandbox.aws.seed import clients_for
    from opsbook.sandbox.aws.seeds.state import LOCK_TABLE
    from opsbook.sandbox.estate import account

    s3 = s3_client(sandbox)
    tables = {stage: clients_for(sandbox.aws_url, account(stage))("dynamodb") for stage in stages}
    keys = {stage: {"LockID": {"S": "/".join(where(stage, component)) + "-md5"}} for stage in stages}
    digests = {s: tables[s].get_item(TableName=LOCK_TABLE, Key=keys[s])["Item"] for s in stages}
    before = {stage: versions(s3, *where(stage, component)) for stage in stages}
    assert all(before.values()), f"the sandbox seeds {component}'s state in {stages}"
    try:
        yield
    finally:
        for stage in stages:
            bucket, key = where(stage, component)
            for version in versions(s3, bucket, key) - before[stage]:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
            tables[stage].put_item(TableName=LOCK_TABLE, Item=digests[stage])
            assert versions(s3, bucket, key) == before[stage]
