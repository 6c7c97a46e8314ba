"""DeleteSecurityGroup in the sandbox refuses like AWS (moto deletes any group): a group another group's
rule references, or a network interface uses, answers DependencyViolation, through real boto3."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.exceptions
import pytest

from opsbook.sandbox.estate import REGION

KEY = "opsbooksandbox"


@pytest.fixture()
def ec2(sandbox: Any) -> Any:
    return boto3.client("ec2", region_name=REGION, endpoint_url=sandbox.aws_url,
                        aws_access_key_id=KEY, aws_secret_access_key=KEY)  # fmt: skip


def refused(ec2: Any, **kw: str) -> dict[str, Any]:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ec2.delete_security_group(**kw)
    return err.value.response


def test_a_group_another_groups_rule_references_cannot_be_deleted(ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    jobs = ec2.create_security_group(GroupName="t-jobs", Description="t", VpcId=vpc)["GroupId"]
    app = ec2.create_security_group(GroupName="t-app", Description="t", VpcId=vpc)["GroupId"]
    db = ec2.create_security_group(GroupName="t-db", Description="t", VpcId=vpc)["GroupId"]
    ingress = [
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": jobs}]}
    ]
    egress = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": db}]}]
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=ingress)
    ec2.authorize_security_group_egress(GroupId=app, IpPermissions=egress)
    ec2.authorize_security_group_ingress(  # a rule naming its own group does not block its delete
        GroupId=app, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": app}]}]
    )
    try:
        answer = refused(ec2, GroupId=jobs)
        assert answer["Error"]["Code"] == "DependencyViolation"
        assert answer["Error"]["Message"] == f"resource {jobs} has a dependent object"
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert refused(ec2, GroupId=db)["Error"]["Code"] == "DependencyViolation"  # egress too
        ec2.revoke_security_group_ingress(GroupId=app, IpPermissions=ingress)
        ec2.delete_security_group(GroupId=jobs)  # no longer referenced
        ec2.revoke_security_group_egress(GroupId=app, IpPermissions=egress)
        ec2.delete_security_group(GroupId=db)
        ec2.delete_security_group(GroupId=app)
        assert refused(ec2, GroupId=app)["Error"]["Code"] == "InvalidGroup.NotFound"  # moto's own answer
    finally:
        ec2.delete_vpc(VpcId=vpc)


def test_a_group_a_network_interface_uses_cannot_be_deleted(ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.98.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="t-eni", Description="t", VpcId=vpc)["GroupId"]
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[sg])["NetworkInterface"]["NetworkInterfaceId"]
    try:
        assert refused(ec2, GroupId=sg)["Error"]["Code"] == "DependencyViolation"
        ec2.delete_network_interface(NetworkInterfaceId=eni)
        ec2.delete_security_group(GroupId=sg)
    finally:
        ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)
