"""The sandbox's AWS Config configuration items: the current state of moto's resources of the types the
sandbox's advanced query answers for, in the shape Config's properties name (resourceId, resourceName, arn,
awsRegion, configurationItemStatus, tags [{key, value, tag}], configuration.*), for one account x region.

Only the types a recorder of the account x region records are there (recorders keep their items when they
stop, as Config does); IAM roles are global (awsRegion "global"); a terminated instance is ResourceDeleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from opsbook.core.config_recording import records

Item = dict[str, Any]


def tag_list(pairs: Any) -> list[dict[str, str]]:
    """[{key, value, tag}] from moto's tag shapes ({k: v}, [{Key, Value}], [{key, value}])."""
    if isinstance(pairs, dict):
        pairs = [{"Key": k, "Value": v} for k, v in pairs.items()]
    out = []
    for p in pairs or []:
        key, value = p.get("Key", p.get("key", "")), p.get("Value", p.get("value", ""))
        out.append({"key": key, "value": value, "tag": f"{key}={value}"})
    return out


def item(rtype: str, rid: str, name: str, arn: str, region: str, tags: Any, **more: Any) -> Item:
    status = more.pop("status", "OK")
    return {"resourceType": rtype, "resourceId": rid, "resourceName": name, "arn": arn, "awsRegion": region,
            "configurationItemStatus": status, "tags": tag_list(tags), "configuration": more}  # fmt: skip


def security_groups(account: str, region: str) -> Iterator[Item]:
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account][region]
    for groups in ec2.groups.values():
        for g in groups.values():
            arn = f"arn:aws:ec2:{region}:{account}:security-group/{g.id}"
            tags = ec2.describe_tags(filters={"resource-id": [g.id]})
            yield item("AWS::EC2::SecurityGroup", g.id, g.name, arn, region, tags,
                       groupName=g.name, groupId=g.id, vpcId=g.vpc_id)  # fmt: skip


def instances(account: str, region: str) -> Iterator[Item]:
    from moto.ec2.models import ec2_backends

    for i in ec2_backends[account][region].all_instances():
        gone = i._state.name == "terminated"
        yield item("AWS::EC2::Instance", i.id, "", f"arn:aws:ec2:{region}:{account}:instance/{i.id}", region,
                   i.get_tags(), status="ResourceDeleted" if gone else "OK", instanceType=i.instance_type)  # fmt: skip


def volumes(account: str, region: str) -> Iterator[Item]:
    from moto.ec2.models import ec2_backends

    for v in ec2_backends[account][region].volumes.values():
        yield item("AWS::EC2::Volume", v.id, "", f"arn:aws:ec2:{region}:{account}:volume/{v.id}", region,
                   v.get_tags(), size=v.size)  # fmt: skip


def buckets(account: str, region: str) -> Iterator[Item]:
    from moto.s3.models import s3_backends

    s3 = s3_backends[account]["global"]
    for b in list(s3.buckets.values()):
        if b.region_name == region:
            tags = s3.tagger.list_tags_for_resource(b.arn).get("Tags", [])
            yield item("AWS::S3::Bucket", b.name, b.name, b.arn, region, tags, bucketName=b.name)


def roles(account: str, region: str) -> Iterator[Item]:
    from moto.iam.models import iam_backends

    for r in list(iam_backends[account]["global"].roles.values()):
        yield item("AWS::IAM::Role", r.id, r.name, r.arn, "global", r.tags, path=r.path, roleName=r.name)


def databases(account: str, region: str) -> Iterator[Item]:
    from moto.rds.models import rds_backends

    for db in list(rds_backends[account][region].databases.values()):
        yield item("AWS::RDS::DBInstance", db.dbi_resource_id, db.db_instance_identifier, db.arn, region,
                   db.tags, dBInstanceClass=db.db_instance_class, engine=db.engine)  # fmt: skip


def load_balancers(account: str, region: str) -> Iterator[Item]:
    from moto.elbv2.models import elbv2_backends

    elb = elbv2_backends[account][region]
    for lb in list(elb.load_balancers.values()):
        tags = elb.describe_tags([lb.arn]).get(lb.arn, {})
        yield item("AWS::ElasticLoadBalancingV2::LoadBalancer", lb.arn, lb.name, lb.arn, region, tags,
                   loadBalancerName=lb.name, scheme=lb.scheme)  # fmt: skip


LISTERS: dict[str, Callable[[str, str], Iterator[Item]]] = {
    "AWS::EC2::SecurityGroup": security_groups,
    "AWS::EC2::Instance": instances,
    "AWS::EC2::Volume": volumes,
    "AWS::S3::Bucket": buckets,
    "AWS::IAM::Role": roles,
    "AWS::RDS::DBInstance": databases,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": load_balancers,
}


def recorded_types(account: str, region: str) -> list[str]:
    from moto.config.models import config_backends

    recorders = [
        r.to_dict() for r in config_backends[account][region].recorders.values()
    ]  # DescribeConfigurationRecorders' shape
    return [t for t in LISTERS if any(records(r, t) for r in recorders)]


def config_items(account: str, region: str) -> list[Item]:
    """Every configuration item the account x region's recorders record, of the types above."""
    return [i for t in recorded_types(account, region) for i in LISTERS[t](account, region)]
