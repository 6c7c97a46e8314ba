"""`opsbook iam policy` is sufficient: the selected checks run in a sandbox that enforces IAM, as a
principal holding only that policy, with no AccessDenied; without one of its actions, exactly the ERROR
finding naming it. (moto enforces IAM for the services it serves itself; operations the sandbox adds in
front of moto, e.g. Cost Explorer, S3 Intelligent-Tiering listings and IAM access advisor, are not
checked here.)"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service
from opsbook.engine.iam_policy import aws_checks, policy_document

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/OpsbookReadOnly"
CHECK_IDS = [
    "s3.bucket_growth",
    "rds.instance_not_available",
    "ec2.unattached_volumes",
    "cloudwatch.alarms_in_alarm",
]


def as_moto_names(policy: dict[str, Any]) -> dict[str, Any]:
    """moto names CloudWatch's actions by its endpoint prefix, `monitoring:` (AWS: `cloudwatch:`)."""
    statement = dict(policy["Statement"][0])
    statement["Action"] = [a.replace("cloudwatch:", "monitoring:", 1) for a in statement["Action"]]
    return {**policy, "Statement": [statement]}


@pytest.fixture()
def enforced() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.iam_enforced_server"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())["url"]
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


def client(url: str, service_name: str, key: str = "seed", secret: str = "seed", token: str | None = None):  # type: ignore[no-untyped-def]
    return boto3.client(
        service_name,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def seed(url: str, policy: dict[str, Any]) -> dict[str, str]:
    """While IAM is not enforced yet: a role in the account holding only `policy`, a bucket to read, and
    a user (in moto's default account) that may only assume that role. Returns the user's keys."""
    creds = client(url, "sts").assume_role(RoleArn=ROLE, RoleSessionName="seed")["Credentials"]
    acct = {"key": creds["AccessKeyId"], "secret": creds["SecretAccessKey"], "token": creds["SessionToken"]}
    iam = client(url, "iam", **acct)
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="OpsbookReadOnly", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="OpsbookReadOnly", PolicyName="opsbook", PolicyDocument=json.dumps(as_moto_names(policy))
    )
    client(url, "s3", **acct).create_bucket(Bucket="enforced-data")
    client(url, "ec2", **acct).create_volume(AvailabilityZone="us-east-1a", Size=8)
    client(url, "cloudwatch", **acct).put_metric_alarm(
        AlarmName="cpu",
        MetricName="CPUUtilization",
        Namespace="AWS/EC2",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=90.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    client(url, "rds", **acct).create_db_instance(
        DBInstanceIdentifier="db1",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="opsbook",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
    )
    root = client(url, "iam")
    root.create_user(UserName="runner")
    assume = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}],
    }
    root.put_user_policy(UserName="runner", PolicyName="assume", PolicyDocument=json.dumps(assume))
    key = root.create_access_key(UserName="runner")["AccessKey"]
    req = urllib.request.Request(
        f"{url}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback test server
        resp.read()
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def run(url: str, monkeypatch: pytest.MonkeyPatch, keys: dict[str, str]) -> list:  # type: ignore[type-arg]
    for k, v in keys.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    cfg = Config.model_validate(
        {
            "storage": {"url": "sqlite:///:memory:"},
            "aws": {"endpoint_url": url, "max_attempts": 1, "default_regions": ["us-east-1"]},
            "accounts": [{"name": "dev", "id": ACCOUNT, "role_arn": ROLE}],
        }
    )
    result = service.run(cfg, service.RunRequest(check_ids=CHECK_IDS), store_enabled=False)
    return result.findings


def test_the_policy_is_sufficient_under_enforced_iam(enforced: str, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = seed(enforced, policy_document(aws_checks(check_ids=CHECK_IDS)))
    findings = run(enforced, monkeypatch, keys)
    assert {f.check_id for f in findings} == set(CHECK_IDS)
    errors = [f for f in findings if f.status is Status.ERROR]
    assert not errors, [f.message for f in errors]


def test_without_one_action_exactly_its_error(enforced: str, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = policy_document(aws_checks(check_ids=CHECK_IDS))
    actions = doc["Statement"][0]["Action"]  # type: ignore[index]
    actions.remove("rds:DescribeDBInstances")
    findings = run(enforced, monkeypatch, seed(enforced, doc))
    errors = [f for f in findings if f.status is Status.ERROR]
    assert [f.check_id for f in errors] == ["rds.instance_not_available"]
    assert errors[0].details["missing_permission"] == "rds:DescribeDBInstances"
