"""`opsbook iam role --format terraform|cloudformation` and `opsbook iam policy --procedure`: the role's
Terraform is HCL that `terraform fmt` leaves alone and whose policies Terraform itself evaluates to exactly
`iam policy`'s documents; the CloudFormation template has the resource types and the same documents."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from opsbook.cli.main import main

ACCOUNT = "999999999999"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ops/opsbook"
TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")


def out(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


def policy(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    return json.loads(out(capsys, "iam", "policy", *args))  # type: ignore[no-any-return]


def terraform_eval(expression: str, cwd: Path) -> Any:
    """What Terraform itself makes of an HCL expression (`terraform console` in an empty folder: offline)."""
    assert TERRAFORM is not None
    done = subprocess.run([TERRAFORM, "console"], input=expression, cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    return json.loads(json.loads(done.stdout))  # a quoted JSON string


def resources(tf: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(type, name) -> attributes, from python-hcl2's parse (it keeps the labels quoted)."""
    found = {}
    for block in tf["resource"]:
        for rtype, named in block.items():
            for name, attrs in named.items():
                found[(rtype.strip('"'), name.strip('"'))] = attrs
    return found


def expression(value: str) -> str:
    assert value.startswith("${") and value.endswith("}"), value
    return value[2:-1]


@needs_terraform
def test_terraform_is_formatted_hcl_whose_policies_are_iam_policys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = out(capsys, "iam", "role", "-f", "terraform", "--trust-role", ROLE_ARN, "--external-id",
               "mycompany-opsbook", "--procedure", "cleanup", "--procedure", "backup-rds")  # fmt: skip
    assert TERRAFORM is not None
    fmt = subprocess.run([TERRAFORM, "fmt", "-check", "-"], input=text, capture_output=True, text=True,
                         timeout=60, check=False)  # fmt: skip
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    found = resources(hcl2.loads(text))
    assert set(found) == {
        ("aws_iam_role", "opsbook_read"),
        ("aws_iam_role_policy", "opsbook_read_read_only"),
        ("aws_iam_policy", "opsbook_read_cleanup"),
        ("aws_iam_role_policy_attachment", "opsbook_read_cleanup"),
        ("aws_iam_policy", "opsbook_read_backup_rds"),
        ("aws_iam_role_policy_attachment", "opsbook_read_backup_rds"),
    }
    role = found[("aws_iam_role", "opsbook_read")]
    trust = terraform_eval(expression(role["assume_role_policy"]), tmp_path)
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"AWS": ROLE_ARN} and statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "mycompany-opsbook"}}
    read_only = found[("aws_iam_role_policy", "opsbook_read_read_only")]["policy"]
    assert terraform_eval(expression(read_only), tmp_path) == policy(capsys)
    cleanup = found[("aws_iam_policy", "opsbook_read_cleanup")]["policy"]
    assert terraform_eval(expression(cleanup), tmp_path) == policy(capsys, "--procedure", "cleanup")
    attach = found[("aws_iam_role_policy_attachment", "opsbook_read_backup_rds")]
    assert attach["policy_arn"] == "${aws_iam_policy.opsbook_read_backup_rds.arn}"


@needs_terraform
def test_terraform_with_a_managed_read_only_policy_and_every_procedure_is_formatted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = out(capsys, "iam", "role", "-f", "terraform", "--trust-account", ACCOUNT, "--managed",
               "--procedure", "all", "--name", "ops.reader")  # fmt: skip
    assert TERRAFORM is not None
    fmt = subprocess.run([TERRAFORM, "fmt", "-check", "-"], input=text, capture_output=True, text=True,
                         timeout=60, check=False)  # fmt: skip
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    found = resources(hcl2.loads(text))
    assert ("aws_iam_policy", "ops_reader_read_only") in found
    assert ("aws_iam_role_policy", "ops_reader_read_only") not in found
    procedures = {n for t, n in found if t == "aws_iam_policy"} - {"ops_reader_read_only"}
    assert {"ops_reader_cleanup", "ops_reader_scale_rds", "ops_reader_remove_inactive_users"} <= procedures
    assert "ops_reader_rollout" not in procedures  # Kubernetes only: no AWS policy
    assert f"arn:aws:iam::{ACCOUNT}:root" in found[("aws_iam_role", "ops_reader")]["assume_role_policy"]


def test_cloudformation_has_the_role_and_policies_equal_to_iam_policys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = out(capsys, "iam", "role", "-f", "cloudformation", "--trust-account", ACCOUNT,
               "--procedure", "backup-rds")  # fmt: skip
    template = yaml.safe_load(text)
    res = template["Resources"]
    assert {k: v["Type"] for k, v in res.items()} == {
        "OpsbookReadRole": "AWS::IAM::Role",
        "OpsbookReadBackupRdsPolicy": "AWS::IAM::ManagedPolicy",
    }
    role = res["OpsbookReadRole"]["Properties"]
    assert role["RoleName"] == "opsbook-read"
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"} and "Condition" not in statement
    (inline,) = role["Policies"]
    assert inline["PolicyDocument"] == policy(capsys)
    managed = res["OpsbookReadBackupRdsPolicy"]["Properties"]
    assert managed["PolicyDocument"] == policy(capsys, "--procedure", "backup-rds")
    assert managed["Roles"] == [{"Ref": "OpsbookReadRole"}]
    assert template["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": ["OpsbookReadRole", "Arn"]}


def test_cloudformation_managed_read_only(capsys: pytest.CaptureFixture[str]) -> None:
    res = yaml.safe_load(out(capsys, "iam", "role", "-f", "cloudformation", "--trust-account", ACCOUNT,
                             "--managed", "--cadence", "daily"))["Resources"]  # fmt: skip
    assert "Policies" not in res["OpsbookReadRole"]["Properties"]
    assert res["OpsbookReadReadOnlyPolicy"]["Properties"]["PolicyDocument"] == policy(
        capsys, "--cadence", "daily"
    )


def test_procedure_policy_has_a_read_and_a_write_statement_per_procedure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = policy(capsys, "--procedure", "backup-rds", "--procedure", "cleanup")
    sids = [s["Sid"] for s in doc["Statement"]]
    assert sids == [
        "OpsbookBackupRdsRead",
        "OpsbookBackupRdsWrite",
        "OpsbookCleanupRead",
        "OpsbookCleanupWrite",
    ]
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert "rds:CreateDBSnapshot" in by_sid["OpsbookBackupRdsWrite"]["Action"]
    assert "rds:DescribeDBSnapshots" in by_sid["OpsbookBackupRdsRead"]["Action"]
    # the planner's checks bring their collectors' reads; the read-only reviews grant no write
    assert "s3:ListAllMyBuckets" in by_sid["OpsbookCleanupRead"]["Action"]
    assert not set(by_sid["OpsbookCleanupWrite"]["Action"]) & set(policy(capsys)["Statement"][0]["Action"])
    assert all(s["Resource"] == "*" and s["Effect"] == "Allow" for s in doc["Statement"])
    everything = policy(capsys, "--procedure", "all")
    assert {s["Sid"] for s in doc["Statement"]} < {s["Sid"] for s in everything["Statement"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["role", "-f", "terraform"], "give exactly one of --trust-account ID or --trust-role ARN"),
        (["role", "-f", "terraform", "--trust-account", ACCOUNT, "--trust-role", ROLE_ARN], "exactly one"),
        (
            ["role", "-f", "terraform", "--trust-account", "12345"],
            "--trust-account '12345': an AWS account id",
        ),
        (["role", "-f", "terraform", "--trust-role", "arn:aws:iam::12:role/x"], "account must be 12 digits"),
        (["role", "-f", "terraform", "--trust-role", f"arn:aws:s3:::{ACCOUNT}"], "--trust-role:"),
        (["role", "-f", "terraform", "--trust-account", ACCOUNT, "--name", "a b"], "--name 'a b'"),
        (["role", "-f", "terraform", "--trust-account", ACCOUNT, "--external-id", "x"], "--external-id"),
        (
            ["role", "-f", "terraform", "--trust-account", ACCOUNT, "-p", "nope"],
            "--procedure 'nope': no such",
        ),
        (["policy", "--procedure", "rollout"], "calls no AWS API"),
        (
            ["policy", "--procedure", "cleanup", "--procedure", "restart-deployment"],
            "restart-deployment: calls no",
        ),
        (["role", "-f", "cloudformation", "--trust-account", ACCOUNT, "-p", "rollout"], "calls no AWS API"),
        (["policy", "--procedure", "cleanup", "--cadence", "daily"], "without --cadence/--check"),
        (["policy", "--procedure", "cleanup", "-f", "markdown"], "--format"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    capsys.readouterr()
    assert main(["iam", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], captured.err
