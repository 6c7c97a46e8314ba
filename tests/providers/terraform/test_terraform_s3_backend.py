"""The sandbox stacks' S3 backend for real: terraform -> moto's S3 (AWS_ENDPOINT_URL_S3), offline."""

from __future__ import annotations

import shutil

import pytest

from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.terraform.runner import TerraformRunner
from opsbook.sandbox.stacks import sandbox_stacks_dir

BUCKET = "terraform-state-backend-test"
pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")


def test_plan_apply_output_with_s3_state(tmp_path, monkeypatch):
    moto_server = pytest.importorskip(
        "moto.server", reason="moto[server] (the sandbox extra) is not installed"
    )
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id="sandbox", aws_secret_access_key="sandbox")  # fmt: skip
    try:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": url,
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        tree = tmp_path / "stacks-tree"
        shutil.copytree(sandbox_stacks_dir(), tree, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        # moto's backends are process-wide and the session sandbox seeds terraform-state-111111111111
        # (and its lock table): dev's state goes to a bucket of this test's own, removed afterwards,
        # without the lock table and the role the sandbox's stacks use (this server has neither)
        dev = tree / "stacks/orgs/mycompany/dev/_defaults.yaml"
        text = dev.read_text().replace("terraform-state-111111111111", BUCKET)
        dev.write_text(
            text.replace(
                "      assume_role:\n        role_arn: arn:aws:iam::111111111111:role/terraform\n", ""
            )
        )
        org = tree / "stacks/orgs/mycompany/_defaults.yaml"
        org.write_text(org.read_text().replace("      dynamodb_table: terraform-state-lock\n", ""))
        assert "assume_role" not in dev.read_text() and "dynamodb_table" not in org.read_text()
        s3.create_bucket(Bucket=BUCKET)
        runner = TerraformRunner(Stacks.load(tree), sink=lambda _line: None)

        assert runner.plan("vpc", "mycompany-dev-use1").changes
        runner.apply("vpc", "mycompany-dev-use1")
        assert runner.output("vpc", "mycompany-dev-use1") == {
            "vpc_cidr": "10.10.0.0/16",
            "vpc_name": "mycompany-dev-vpc",
        }
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
        assert keys == ["vpc/mycompany-dev-use1/terraform.tfstate"]  # workspace_key_prefix/workspace/key
    finally:
        if BUCKET in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
                s3.delete_object(Bucket=BUCKET, Key=o["Key"])
            s3.delete_bucket(Bucket=BUCKET)
        server.stop()
