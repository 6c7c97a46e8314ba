"""A Terraform state in the AWS provider's format (v4) per account, for the state-vs-live drift checks.

The stacks' components are `terraform_data` stand-ins (seeds/state.py); a team's platform resources live
in a root module of their own whose state sits beside the stacks' in the state bucket, at the S3
backend's layout (`platform/<stack>/terraform.tfstate`, PLATFORM_KEY). It holds, read back from the live
estate as `terraform apply` left them: the database's, app's and ALB's security groups (with the ALB's
HTTPS rule as an `aws_vpc_security_group_ingress_rule`, added live here), the `web` instance, the state
bucket and the assets bucket with their versioning / encryption / public access block, the `app-deploy`
role and its policy attachment, `my-database`, both EKS node groups and the `web-alb` load balancer.

dev matches its state exactly (zero drift); staging matches too, but its reporting database carries the
stacks' `ManagedBy=terraform` tag while no state holds it; prod was changed by hand after the last apply
(each change recorded as a CloudTrail event, services/cloudtrail.py): a rule added to the database's
group (MANUAL_RULE), the `application` node group resized (the state keeps NODEGROUP_APPLIED: the fake
cluster's nodes follow the live size, so the state, not the live group, carries the difference), the
assets bucket's versioning turned off, and a scratch volume deleted (GONE_VOLUME). Every other resource of
the drift table's types (default groups aside) is unmanaged: no state holds it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.seeds.state import STATE_KEY, stack_name, state_bucket, write_state
from opsbook.sandbox.aws.services.cloudtrail import record
from opsbook.sandbox.aws.tfstate import TERRAFORM_VERSION, stable_id
from opsbook.sandbox.estate import CLUSTER, DATABASE, REGION, SandboxAccount

PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'
DRIFTED = "prod"  # the account changed by hand after the last apply
PLATFORM = "platform"
MANUAL_RULE = ("tcp", 5432, "10.99.0.0/16")  # added to my-database-sg by hand in DRIFTED
ALB_RULE = ("tcp", 443, "10.0.0.0/8")  # alb-sg's rule, a resource of its own, in every account
NODEGROUP_APPLIED = ("application", 1)  # the group, and how many more nodes the last apply asked for
GONE_VOLUME = "vol-0123456789abcdef0"  # in DRIFTED's state, deleted by hand
CHANGED_AGO = timedelta(days=3)
CHANGED_BY = "jane.doe"


def platform_key(acct: SandboxAccount) -> str:
    return f"{PLATFORM}/{stack_name(acct)}/{STATE_KEY}"


def resource(rtype: str, name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    inst = {"schema_version": 0, "attributes": attrs, "sensitive_attributes": [], "dependencies": []}
    return {"mode": "managed", "type": rtype, "name": name, "provider": PROVIDER, "instances": [inst]}


def arn(acct: SandboxAccount, service: str, rest: str) -> str:
    return f"arn:aws:{service}:{REGION}:{acct.id}:{rest}"


def tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def blocks(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """IpPermissions as the provider's `ingress`/`egress` blocks."""
    out = []
    for p in permissions:
        proto = p.get("IpProtocol", "-1")
        out.append({
            "cidr_blocks": [r["CidrIp"] for r in p.get("IpRanges", [])],
            "ipv6_cidr_blocks": [r["CidrIpv6"] for r in p.get("Ipv6Ranges", [])],
            "prefix_list_ids": [r["PrefixListId"] for r in p.get("PrefixListIds", [])],
            "security_groups": [r["GroupId"] for r in p.get("UserIdGroupPairs", [])],
            "protocol": proto, "from_port": p.get("FromPort", 0), "to_port": p.get("ToPort", 0),
            "description": "", "self": False,
        })  # fmt: skip
    return out


def groups(ec2: Any, acct: SandboxAccount) -> list[dict[str, Any]]:
    out = []
    for name in ("my-database-sg", "app-sg", "alb-sg"):
        found = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])[
            "SecurityGroups"
        ]
        for g in found:
            out.append(resource("aws_security_group", name.removesuffix("-sg").replace("-", "_"), {
                "id": g["GroupId"], "arn": arn(acct, "ec2", f"security-group/{g['GroupId']}"),
                "name": g["GroupName"], "description": g["Description"], "vpc_id": g.get("VpcId"),
                "ingress": blocks(g["IpPermissions"]), "egress": blocks(g["IpPermissionsEgress"]),
                "tags": tags(g.get("Tags")) or None, "tags_all": tags(g.get("Tags")),
            }))  # fmt: skip
    return out


def alb_rule(ec2: Any, acct: SandboxAccount) -> list[dict[str, Any]]:
    found = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["alb-sg"]}])[
        "SecurityGroups"
    ]
    if not found:
        return []
    gid, (proto, port, cidr) = found[0]["GroupId"], ALB_RULE
    ip = [{"IpProtocol": proto, "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=ip)
    rid = f"sgr-{stable_id(acct.id, 'alb-https')[:17].replace('-', '')}"
    return [resource("aws_vpc_security_group_ingress_rule", "alb_https", {
        "id": rid, "security_group_rule_id": rid, "arn": arn(acct, "ec2", f"security-group-rule/{rid}"),
        "security_group_id": gid, "ip_protocol": proto, "from_port": port, "to_port": port, "cidr_ipv4": cidr,
        "cidr_ipv6": None, "prefix_list_id": None, "referenced_security_group_id": None, "tags": None,
    })]  # fmt: skip


def instances(ec2: Any, acct: SandboxAccount) -> list[dict[str, Any]]:
    pages = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web"]}])["Reservations"]
    return [
        resource(
            "aws_instance",
            "web",
            {
                "id": i["InstanceId"],
                "arn": arn(acct, "ec2", f"instance/{i['InstanceId']}"),
                "instance_type": i["InstanceType"],
                "ami": i["ImageId"],
                "tags": tags(i.get("Tags")),
            },
        )  # fmt: skip
        for r in pages
        for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    ][:1]


def buckets(s3: Any, acct: SandboxAccount) -> list[dict[str, Any]]:
    out = []
    for name, bucket in (("state", state_bucket(acct)), ("assets", f"mycompany-{acct.name}-assets")):
        if name == "assets":
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        tagset = s3.get_bucket_tagging(Bucket=bucket)["TagSet"] if name == "state" else []
        out.append(resource("aws_s3_bucket", name, {
            "id": bucket, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "region": REGION,
            "tags": tags(tagset) or None, "force_destroy": False,
        }))  # fmt: skip
        out.append(resource("aws_s3_bucket_versioning", name, {
            "id": bucket, "bucket": bucket, "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}],
        }))  # fmt: skip
    state = state_bucket(acct)
    sse = {"sse_algorithm": "AES256", "kms_master_key_id": ""}
    out.append(resource("aws_s3_bucket_server_side_encryption_configuration", "state", {
        "id": state, "bucket": state,
        "rule": [{"apply_server_side_encryption_by_default": [sse], "bucket_key_enabled": False}],
    }))  # fmt: skip
    blocked = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    out.append(resource("aws_s3_bucket_public_access_block", "state", {"id": state, "bucket": state}
                        | dict.fromkeys(blocked, True)))  # fmt: skip
    return out


def role(iam: Any) -> list[dict[str, Any]]:
    r = iam.get_role(RoleName="app-deploy")["Role"]
    attached = iam.list_attached_role_policies(RoleName="app-deploy")["AttachedPolicies"]
    out = [resource("aws_iam_role", "app_deploy", {
        "id": r["RoleName"], "name": r["RoleName"], "arn": r["Arn"], "path": r["Path"],
        "assume_role_policy": json.dumps(r["AssumeRolePolicyDocument"]), "tags": tags(r.get("Tags")) or None,
    })]  # fmt: skip
    for p in attached:
        out.append(resource("aws_iam_role_policy_attachment", p["PolicyName"].replace("-", "_"), {
            "id": f"{r['RoleName']}-{stable_id(p['PolicyArn'])[:8]}", "role": r["RoleName"], "policy_arn": p["PolicyArn"],
        }))  # fmt: skip
    return out


def database(rds: Any) -> list[dict[str, Any]]:
    db = rds.describe_db_instances(DBInstanceIdentifier=DATABASE)["DBInstances"][0]
    return [resource("aws_db_instance", "main", {
        "id": db["DbiResourceId"], "identifier": db["DBInstanceIdentifier"], "arn": db["DBInstanceArn"],
        "instance_class": db["DBInstanceClass"], "engine": db["Engine"], "multi_az": db["MultiAZ"],
        "allocated_storage": db["AllocatedStorage"], "tags": tags(db.get("TagList")),
    })]  # fmt: skip


def nodegroups(eks: Any, drifted: bool) -> list[dict[str, Any]]:
    out = []
    for name in sorted(eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]):
        ng = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=name)["nodegroup"]
        size = ng["scalingConfig"]
        applied = size["desiredSize"] + (
            NODEGROUP_APPLIED[1] if drifted and name == NODEGROUP_APPLIED[0] else 0
        )
        out.append(resource("aws_eks_node_group", name, {
            "id": f"{CLUSTER}:{name}", "arn": ng["nodegroupArn"], "cluster_name": CLUSTER,
            "node_group_name": name, "instance_types": ng["instanceTypes"], "tags": ng.get("tags") or None,
            "scaling_config": [{"desired_size": applied, "min_size": size["minSize"], "max_size": size["maxSize"]}],
        }))  # fmt: skip
    return out


def load_balancer(elb: Any) -> list[dict[str, Any]]:
    found = elb.describe_load_balancers(Names=["web-alb"])["LoadBalancers"]
    lb = found[0]
    lb_tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0].get("Tags", [])
    return [resource("aws_lb", "web", {
        "id": lb["LoadBalancerArn"], "arn": lb["LoadBalancerArn"], "name": lb["LoadBalancerName"],
        "load_balancer_type": lb.get("Type", "application"), "internal": lb.get("Scheme") == "internal",
        "tags": tags(lb_tags) or None,
    })]  # fmt: skip


def gone_volume(acct: SandboxAccount) -> list[dict[str, Any]]:
    return [resource("aws_ebs_volume", "scratch", {
        "id": GONE_VOLUME, "arn": arn(acct, "ec2", f"volume/{GONE_VOLUME}"), "size": 100, "type": "gp3",
        "availability_zone": f"{REGION}a", "tags": None,
    })]  # fmt: skip


def change_by_hand(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    """DRIFTED's manual changes after the apply, each with the CloudTrail event AWS would record."""
    ec2 = client("ec2")
    gid = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["my-database-sg"]}])[
        "SecurityGroups"][0]["GroupId"]  # fmt: skip
    proto, port, cidr = MANUAL_RULE
    ip = [{"IpProtocol": proto, "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=ip)
    assets = f"mycompany-{acct.name}-assets"
    client("s3").put_bucket_versioning(Bucket=assets, VersioningConfiguration={"Status": "Suspended"})
    events = (
        ("AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", "AWS::EC2::SecurityGroup", gid, 4),
        ("UpdateNodegroupConfig", "eks.amazonaws.com", "AWS::EKS::Nodegroup", NODEGROUP_APPLIED[0], 3),
        ("PutBucketVersioning", "s3.amazonaws.com", "AWS::S3::Bucket", assets, 2),
        ("DeleteVolume", "ec2.amazonaws.com", "AWS::EC2::Volume", GONE_VOLUME, 1),
    )
    for name, source, rtype, resource_name, hours in events:
        when = now - CHANGED_AGO + timedelta(hours=hours)
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{acct.id}/{name}/{resource_name}"))
        detail = {"eventVersion": "1.09", "eventName": name, "eventSource": source, "awsRegion": REGION,
                  "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "userIdentity": {"userName": CHANGED_BY}}  # fmt: skip
        record(data, acct.id, {
            "EventId": event_id, "EventName": name, "EventSource": source, "ReadOnly": "false",
            "EventTime": when.timestamp(), "Username": CHANGED_BY, "AccessKeyId": "AKIAEXAMPLEJANEDOE",
            "Resources": [{"ResourceType": rtype, "ResourceName": resource_name}],
            "CloudTrailEvent": json.dumps(detail), "region": REGION,
        })  # fmt: skip


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    drifted = acct.name == DRIFTED
    ec2 = client("ec2")
    resources = [
        *alb_rule(ec2, acct), *groups(ec2, acct), *instances(ec2, acct), *buckets(client("s3"), acct),
        *role(client("iam")), *database(client("rds")), *nodegroups(client("eks"), drifted),
        *load_balancer(client("elbv2")), *(gone_volume(acct) if drifted else []),
    ]  # fmt: skip
    where = f"{state_bucket(acct)}/{platform_key(acct)}"
    body = {"version": 4, "terraform_version": TERRAFORM_VERSION, "serial": 1,
            "lineage": stable_id(where, "lineage"), "outputs": {}, "resources": resources, "check_results": None}  # fmt: skip
    write_state(client, state_bucket(acct), platform_key(acct), body)
    if drifted:
        change_by_hand(client, acct, now, data)
