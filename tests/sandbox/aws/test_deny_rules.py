"""The sandbox's access-denied rules, for every wire protocol, as real boto3 sees them."""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest

from opsbook.core.config import Config
from opsbook.core.models import Status
from opsbook.engine import service
from opsbook.sandbox.aws.wire import rest_operation
from opsbook.sandbox.estate import account


def test_rest_operations_are_named_from_botocore_models() -> None:
    assert rest_operation("eks", "GET", "/clusters") == "ListClusters"
    assert rest_operation("eks", "GET", "/clusters/my-cluster") == "DescribeCluster"
    assert rest_operation("eks", "GET", "/clusters/my-cluster/node-groups/system") == "DescribeNodegroup"
    assert rest_operation("guardduty", "POST", "/detector/d1/findings/get") == "GetFindings"
    assert rest_operation("apigateway", "GET", "/restapis") == "GetRestApis"
    assert rest_operation("rds", "POST", "/") == ""  # a query-protocol service: named by its Action
    assert rest_operation("no-such-service", "GET", "/") == ""


def test_denied_rest_json_call_is_access_denied_for_boto3_and_for_opsbook(
    sandbox, sandbox_config: Config
) -> None:  # type: ignore[no-untyped-def]
    prod = account("prod")
    sandbox.data.deny(prod.id, "eks:ListClusters")
    try:
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=sandbox.aws_url)
        creds = sts.assume_role(RoleArn=prod.role_arn, RoleSessionName="deny-test")["Credentials"]
        eks = boto3.client(
            "eks",
            region_name="us-east-1",
            endpoint_url=sandbox.aws_url,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            eks.list_clusters()
        assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
        result = service.run(sandbox_config, service.RunRequest(check_ids=["eks.cluster_not_active"]))
    finally:
        sandbox.data.denied.clear()
    prod_findings = [f for f in result.findings if f.target.account == "prod"]
    assert prod_findings and all(f.status is Status.ERROR for f in prod_findings)
    assert "missing permission eks:ListClusters" in prod_findings[0].message
    dev = [f for f in result.findings if f.target.account == "dev"]
    assert dev and all(f.status is Status.PASS for f in dev)
