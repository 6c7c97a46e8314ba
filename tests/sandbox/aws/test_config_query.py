"""The sandbox's AWS Config advanced query (SelectResourceConfig) over real boto3: answers read back the
live estate through other APIs, pages with NextToken, and refuses the guide's expression as Config does."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest

from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import account

GUIDE = "SELECT resourceId, resourceType WHERE tags.tag = 'ManagedBy' AND tags.value != 'terraform'"
TYPES = "('AWS::EC2::SecurityGroup', 'AWS::RDS::DBInstance', 'AWS::S3::Bucket')"


@pytest.fixture(scope="module")
def prod(sandbox: Any) -> Any:
    return clients_for(sandbox.aws_url, account("prod"))


def rows(client: Any, expression: str, page: int = 100) -> list[dict[str, Any]]:
    pages = (
        client("config")
        .get_paginator("select_resource_config")
        .paginate(Expression=expression, PaginationConfig={"PageSize": page})
    )
    return [json.loads(r) for p in pages for r in p["Results"]]


def test_select_reads_the_live_estate_and_pages(prod: Any) -> None:
    groups = {g["GroupId"] for g in prod("ec2").describe_security_groups()["SecurityGroups"]}
    found = rows(prod, "SELECT resourceId, resourceName WHERE resourceType = 'AWS::EC2::SecurityGroup'", 2)
    assert len(groups) > 2 and sorted(r["resourceId"] for r in found) == sorted(groups)  # pages of 2
    dbs = {d["DBInstanceIdentifier"]: d for d in prod("rds").describe_db_instances()["DBInstances"]}
    found = rows(prod, "SELECT resourceId, resourceName, arn, configuration.engine "
                       "WHERE resourceType IN ('AWS::RDS::DBInstance')")  # fmt: skip
    assert {r["resourceName"]: (r["resourceId"], r["arn"], r["configuration"]["engine"]) for r in found} == {
        n: (d["DbiResourceId"], d["DBInstanceArn"], d["Engine"]) for n, d in dbs.items()
    }


def test_tag_conditions_match_the_tagging_api(prod: Any) -> None:
    mapped = prod("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": "ManagedBy", "Values": ["terraform"]}]
    )["ResourceTagMappingList"]
    wanted = {m["ResourceARN"] for m in mapped if m["ResourceARN"].split(":")[2] in ("rds", "s3")
              or ":security-group/" in m["ResourceARN"]}  # fmt: skip
    assert wanted
    pair = rows(prod, f"SELECT arn, tags WHERE resourceType IN {TYPES} AND tags.key = 'ManagedBy' "
                      "AND tags.value = 'terraform'")  # fmt: skip
    whole = rows(prod, f"SELECT arn WHERE resourceType IN {TYPES} AND tags.tag = 'ManagedBy=terraform'")
    assert {r["arn"] for r in whole} == wanted <= {r["arn"] for r in pair}
    assert all({"key": "ManagedBy", "value": "terraform"} in r["tags"] for r in pair)
    assert rows(prod, "SELECT arn WHERE tags.tag = 'ManagedBy'") == []  # tags.tag is the whole key=value


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        (GUIDE, "operator != is not supported"),
        ("SELECT resourceId WHERE resourceType = 'AWS::S3::Bucket' OR resourceName = 'x'", "sandbox"),
        ("SELECT COUNT(*) WHERE resourceType = 'AWS::S3::Bucket'", "no aggregates"),
        ("resourceId WHERE resourceType = 'AWS::S3::Bucket'", "must start with SELECT"),
    ],
)
def test_what_it_cannot_answer_is_an_invalid_expression(prod: Any, expression: str, says: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        prod("config").select_resource_config(Expression=expression)
    assert exc.value.response["Error"]["Code"] == "InvalidExpressionException"
    assert says in exc.value.response["Error"]["Message"]
