"""The seeded Terraform state (sandbox/aws/seeds/state.py): each account's state bucket made carefully, a
state object where Atmos's backend puts it for every component the stacks deploy (and nothing else),
describing the live estate, dated after what it describes; its shape is what `terraform apply` writes,
and `terraform plan` reads it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from opsbook.providers.atmos.resolver import Stacks
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.aws.seeds.state import LIVE_KEY, LOCK_TABLE, STATE_AGE, TERRAFORM_ROLE, state_bucket
from opsbook.sandbox.aws.seeds.tfstate_aws import platform_key
from opsbook.sandbox.estate import ACCOUNTS, CLUSTER
from opsbook.sandbox.stacks import sandbox_stacks_dir

from .test_seed_consistency import not_before

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
DEV = "mycompany-dev-use1"


def deployed() -> list[tuple[str, str, dict[str, Any]]]:
    """(stack, component, resolved section) of every component the sandbox's stacks deploy."""
    out = []
    for stack, body in Stacks.load(sandbox_stacks_dir()).describe_stacks().items():
        for name, section in body["components"]["terraform"].items():
            if (section.get("metadata") or {}).get("type") != "abstract":
                out.append((stack, name, section))
    return out


def object_key(section: dict[str, Any]) -> str:
    backend = section["backend"]  # Terraform's S3 backend: <workspace_key_prefix>/<workspace>/<key>
    return f"{backend['workspace_key_prefix']}/{section['workspace']}/{backend['key']}"


def read_state(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def inputs(state: dict[str, Any], name: str) -> dict[str, Any]:
    """index key ("" without for_each) -> input value of `terraform_data.<name>`."""
    res = next(r for r in state["resources"] if r["name"] == name)
    return {i.get("index_key", ""): i["attributes"]["input"]["value"] for i in res["instances"]}


@pytest.fixture(scope="module")
def clients(sandbox: Any) -> dict[str, Any]:
    return {a.id: clients_for(sandbox.aws_url, a) for a in ACCOUNTS}


def test_each_stack_component_has_its_state_where_its_backend_says(clients: dict[str, Any]) -> None:
    expected: dict[str, set[str]] = {a.id: set() for a in ACCOUNTS}
    for stack, name, section in deployed():
        backend, account = section["backend"], section["vars"]["account_id"]
        assert section["backend_type"] == "s3" and backend["bucket"] == f"terraform-state-{account}"
        # the lock table the backend names is seeded in the account its assume_role reaches
        assert backend["dynamodb_table"] == LOCK_TABLE and not backend.get("use_lockfile"), (stack, name)
        assert backend["assume_role"]["role_arn"] == f"arn:aws:iam::{account}:role/{TERRAFORM_ROLE}"
        expected[account].add(object_key(section))
    assert "rds/mycompany-staging-use1-rds-reporting/terraform.tfstate" in expected["222222222222"]
    for acct in ACCOUNTS:  # and the platform root module's, outside the stacks (seeds/tfstate_aws.py)
        expected[acct.id].add(platform_key(acct))
    for acct in ACCOUNTS:
        s3, dynamodb, bucket = clients[acct.id]("s3"), clients[acct.id]("dynamodb"), state_bucket(acct)
        found = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
        # beside dev's dns state: what AWS answers for its zone (the dns component reads it; no digest)
        live = {LIVE_KEY.format(stack=DEV)} if acct.name == "dev" else set()
        assert found - live == expected[acct.id] and live <= found, acct.name
        found -= live
        table = dynamodb.describe_table(TableName=LOCK_TABLE)["Table"]
        assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
        items = {i["LockID"]["S"]: i for i in dynamodb.scan(TableName=LOCK_TABLE)["Items"]}
        assert set(items) == {f"{bucket}/{key}-md5" for key in found}, "digests only: no lock is held"
        for key in found:  # Terraform's digest of the current version; one earlier version is kept
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            assert items[f"{bucket}/{key}-md5"]["Digest"]["S"] == hashlib.md5(body).hexdigest()  # noqa: S324
            versions = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
            (old,) = [v for v in versions if not v["IsLatest"]]
            earlier = json.loads(
                s3.get_object(Bucket=bucket, Key=key, VersionId=old["VersionId"])["Body"].read()
            )
            assert (earlier["serial"], json.loads(body)["serial"]) == (1, 2), key


def test_the_state_buckets_are_made_carefully(clients: dict[str, Any]) -> None:
    for acct in ACCOUNTS:
        s3, bucket = clients[acct.id]("s3"), state_bucket(acct)
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert set(block.values()) == {True} and len(block) == 4
        owner = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert owner == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert lifecycle[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
        assert tags["Stage"] == acct.name and tags["Purpose"] == "terraform-state"


def test_the_state_describes_the_live_estate_and_is_younger_than_it(clients: dict[str, Any]) -> None:
    problems: list[str] = []
    for acct in ACCOUNTS:
        client, bucket = clients[acct.id], state_bucket(acct)
        s3, eks, rds, ec2 = client("s3"), client("eks"), client("rds"), client("ec2")
        created = next(b["CreationDate"] for b in s3.list_buckets()["Buckets"] if b["Name"] == bucket)
        stack = f"mycompany-{acct.name}-use1"
        keys = {o["Key"]: o["LastModified"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
        for key, written in keys.items():
            not_before(written, created, f"{acct.name} {key} in its bucket", problems)
            assert written < datetime.now(written.tzinfo) - STATE_AGE / 2, key

        state = read_state(s3, bucket, f"eks/{stack}/terraform.tfstate")
        cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
        assert inputs(state, "cluster")[""]["version"] == cluster["version"]
        for name, group in inputs(state, "node_group").items():
            live = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=name)["nodegroup"]
            size = live["scalingConfig"]
            assert (group["min_size"], group["desired_size"], group["max_size"]) == (
                size["minSize"], size["desiredSize"], size["maxSize"]), (acct.name, name)  # fmt: skip
            assert group["instance_types"] == live["instanceTypes"]
            not_before(
                keys[f"eks/{stack}/terraform.tfstate"], live["modifiedAt"], f"{acct.name} eks", problems
            )
        assert state["outputs"]["node_groups"]["value"] == inputs(state, "node_group")

        db = inputs(read_state(s3, bucket, f"rds/{stack}/terraform.tfstate"), "db")[""]
        live_db = rds.describe_db_instances(DBInstanceIdentifier=db["identifier"])["DBInstances"][0]
        assert (db["instance_class"], db["backup_retention_period"]) == (
            live_db["DBInstanceClass"], live_db["BackupRetentionPeriod"])  # fmt: skip
        not_before(keys[f"rds/{stack}/terraform.tfstate"], live_db["InstanceCreateTime"], "rds", problems)

        vpc = inputs(read_state(s3, bucket, f"vpc/{stack}/terraform.tfstate"), "vpc")[""]
        named = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [vpc["name"]]}])["Vpcs"]
        assert [v["CidrBlock"] for v in named] == [vpc["cidr_block"]], acct.name
    assert not problems, "\n".join(problems)


def resolved(component: str, stack: str) -> dict[str, Any]:
    return Stacks.load(sandbox_stacks_dir()).component(component, stack)


@needs_terraform
def test_the_seeded_state_is_what_terraform_apply_writes(clients: dict[str, Any], tmp_path: Path) -> None:
    """dev's eks matches its stack, so `terraform apply` of the stack's vars (local state) writes the
    seeded state again, but for ids, lineage, serial and version."""
    section = resolved("eks", DEV)
    written = apply_locally(section, tmp_path / "eks")
    seeded = read_state(clients[ACCOUNTS[0].id]("s3"), "terraform-state-111111111111", object_key(section))
    assert seeded["version"] == 4 and seeded["serial"] >= 1 and seeded["lineage"]
    assert state_shape(seeded) == state_shape(written)


def apply_locally(section: dict[str, Any], work: Path) -> dict[str, Any]:
    """The state `terraform apply` of the component's resolved vars writes (local state, in `work`)."""
    shutil.copytree(Path(section["component_info"]["abs_path"]), work)
    (work / "terraform.tfvars.json").write_text(json.dumps(section["vars"]), encoding="utf-8")
    for args in (
        ["init", "-input=false", "-no-color"],
        ["apply", "-auto-approve", "-input=false", "-no-color"],
    ):
        subprocess.run(["terraform", *args], cwd=work, check=True, capture_output=True, timeout=120)  # noqa: S603, S607
    return json.loads((work / "terraform.tfstate").read_text())  # type: ignore[no-any-return]


def state_shape(state: dict[str, Any]) -> dict[str, Any]:
    """A state but for what differs between two applies of the same inputs (ids, lineage, serial, version)."""
    out = {k: v for k, v in state.items() if k not in ("lineage", "serial", "terraform_version")}
    for res in out["resources"]:
        for inst in res["instances"]:
            inst["attributes"]["id"] = "-"
    return out


@needs_terraform
def test_terraform_plan_reads_the_seeded_state(sandbox: Any, tmp_path: Path) -> None:
    result, shown = plan_in_copy(sandbox, tmp_path, "eks", DEV)
    # with no state this would create the cluster and both node groups
    assert not result.changes, shown
    assert "No changes" in shown and "will be created" not in shown


def plan_in_copy(sandbox: Any, tmp_path: Path, component: str, stack: str) -> tuple[Any, str]:
    """`terraform plan` of `component` in `stack` against the sandbox, in a copy of its stacks tree: (the
    runner's result, what Terraform printed)."""
    from opsbook.core.config import Config
    from opsbook.providers.terraform.changes import sandbox_env
    from opsbook.providers.terraform.runner import TerraformRunner

    tree = tmp_path / "tree"
    shutil.copytree(sandbox_stacks_dir(), tree, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    env = sandbox_env(Config.model_validate(sandbox.config(f"sqlite:///{tmp_path}/o.db")))
    lines: list[str] = []
    runner = TerraformRunner(Stacks.load(tree), sink=lines.append, extra_env=env, color=False)
    return runner.plan(component, stack), "".join(lines)
