"""Seed the guide's "Cost Optimization" estate: waste to find and clean up, next to things in use.

Per account (dev, staging, prod), in us-east-1:

| check                          | passes                                        | fails                          |
|--------------------------------|-----------------------------------------------|--------------------------------|
| ec2.unattached_volumes         | `app-data` attached; `scratch-new` 1 day old;  | `orphaned-data` 100 GiB gp2,   |
|                                | `keep-forensics` tagged opsbook:keep=true      | 240 days old                   |
| ec2.unassociated_addresses     | `web-ip` associated with the instance         | `spare-ip` not associated      |
| ec2.old_snapshots              | the `golden` AMI's snapshot (200 days, used); | `orphaned-data` snapshot,      |
|                                | `app-data` snapshot taken today               | 200 days, no AMI               |
| elbv2.idle_load_balancers      | `web-alb` ~25k requests a day                 | `legacy-alb` 2 requests a day  |
| s3.no_intelligent_tiering      | `-assets` (tiering on), `-small` (2 GiB)      | `-archive` 500 GiB, no tiering |

The estate has a history, oldest first: the `app` instance launched INSTANCE_AGE ago (with its root volume);
`app-data` created and attached; the `golden` AMI made from the instance (its snapshot is of the instance's
root volume); `orphaned-data` created, snapshotted, detached. moto stamps everything "now" and its APIs
cannot back-date, so `finish()` dates them (sandbox/aws/backdate.py). Load balancers have a security group
and an ENI per subnet, as AWS gives them. CloudWatch datapoints are back-dated through the real PutMetricData.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.aws import backdate
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.seed import default_group, interfaces, put_series
from opsbook.sandbox.estate import REGION, SANDBOX_AMI, SandboxAccount

KEEP_TAG = {"Key": "opsbook:keep", "Value": "true"}
GIB = 1024**3
INSTANCE_AGE = 400  # days: the `app` instance, older than everything else here
# (account id, kind, resource id) -> age in days, applied in finish() (parents before their children)
_AGES: dict[tuple[str, str, str], int] = {}


def _tags(name: str, *extra: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}, *extra]}]


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    image = SANDBOX_AMI  # moto's ~1,200 default AMIs are not loaded (see sandbox/runtime.py)
    instance = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnets[0], SecurityGroupIds=[default_group(ec2, vpc)]
    )["Instances"][0]["InstanceId"]
    _AGES[(acct.id, "instance", instance)] = INSTANCE_AGE
    seed_volumes(ec2, acct, instance)
    seed_addresses(ec2, instance)
    golden = ec2.create_image(InstanceId=instance, Name=f"golden-{acct.name}")["ImageId"]
    _AGES[(acct.id, "image", golden)] = 200
    seed_load_balancers(client, acct, vpc, subnets, now)
    seed_buckets(client, acct, now)


def seed_volumes(ec2: Any, acct: SandboxAccount, instance: str) -> None:
    az = f"{REGION}a"
    attached = ec2.create_volume(
        AvailabilityZone=az, Size=50, VolumeType="gp3", TagSpecifications=_tags("app-data")
    )
    ec2.attach_volume(VolumeId=attached["VolumeId"], InstanceId=instance, Device="/dev/sdf")
    for kind in ("volume", "attachment"):  # created and attached 300 days ago, snapshotted daily
        _AGES[(acct.id, kind, attached["VolumeId"])] = 300
    ec2.create_snapshot(VolumeId=attached["VolumeId"], Description="app-data daily")
    orphan = ec2.create_volume(
        AvailabilityZone=az, Size=100, VolumeType="gp2", TagSpecifications=_tags("orphaned-data")
    )["VolumeId"]
    _AGES[(acct.id, "volume", orphan)] = 240
    snap = ec2.create_snapshot(VolumeId=orphan, Description="orphaned-data before migration")["SnapshotId"]
    _AGES[(acct.id, "snapshot", snap)] = 200
    young = ec2.create_volume(
        AvailabilityZone=az, Size=20, VolumeType="gp3", TagSpecifications=_tags("scratch-new")
    )
    _AGES[(acct.id, "volume", young["VolumeId"])] = 1
    kept = ec2.create_volume(
        AvailabilityZone=az, Size=200, VolumeType="gp3", TagSpecifications=_tags("keep-forensics", KEEP_TAG)
    )
    _AGES[(acct.id, "volume", kept["VolumeId"])] = 300


def seed_addresses(ec2: Any, instance: str) -> None:
    used = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=used["AllocationId"], InstanceId=instance)
    ec2.create_tags(Resources=[used["AllocationId"]], Tags=[{"Key": "Name", "Value": "web-ip"}])
    spare = ec2.allocate_address(Domain="vpc")
    ec2.create_tags(Resources=[spare["AllocationId"]], Tags=[{"Key": "Name", "Value": "spare-ip"}])


def seed_load_balancers(
    client: Any, acct: SandboxAccount, vpc: str, subnets: list[str], now: datetime
) -> None:
    elb = client("elbv2")
    cw = client("cloudwatch")
    group = client("ec2").create_security_group(
        GroupName="alb-sg", Description="HTTPS from anywhere", VpcId=vpc
    )
    for name, per_day in (("web-alb", 25_000), ("legacy-alb", 2)):
        lb = elb.create_load_balancer(
            Name=name,
            Subnets=subnets,
            SecurityGroups=[group["GroupId"]],
            Tags=[{"Key": "Name", "Value": name}],
        )
        arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
        _AGES[(acct.id, "lb", arn)] = 60
        lb_id = arn.split(":loadbalancer/", 1)[1]
        interfaces(client, subnets, group["GroupId"], f"ELB {lb_id}")  # what AWS describes its ENIs as
        dims = {"LoadBalancer": lb_id}
        day = timedelta(days=1)
        for metric, value in (("RequestCount", per_day), ("ProcessedBytes", per_day * 4096)):
            put_series(cw, "AWS/ApplicationELB", metric, dims, now, lambda _, v=value: v, points=6, step=day)


def seed_buckets(client: Any, acct: SandboxAccount, now: datetime) -> None:
    s3 = client("s3")
    cw = client("cloudwatch")
    sizes = {"archive": 500, "assets": 300, "small": 2}
    for suffix, gib in sizes.items():
        name = f"mycompany-{acct.name}-{suffix}"
        s3.create_bucket(Bucket=name)
        for metric, storage, value in (
            ("BucketSizeBytes", "StandardStorage", gib * GIB),
            ("NumberOfObjects", "AllStorageTypes", gib * 400),
        ):
            dims = {"BucketName": name, "StorageType": storage}
            put_series(
                cw, "AWS/S3", metric, dims, now, lambda _, v=value: v, points=2, step=timedelta(days=1)
            )
    s3.put_bucket_intelligent_tiering_configuration(
        Bucket=f"mycompany-{acct.name}-assets",
        Id="archive-after-90-days",
        IntelligentTieringConfiguration={
            "Id": "archive-after-90-days",
            "Status": "Enabled",
            "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}],
        },
    )


_BACKDATE = {
    "instance": backdate.instance,
    "volume": backdate.volume,
    "attachment": backdate.attachment,
    "image": backdate.image,
    "snapshot": backdate.snapshot,
    "lb": backdate.load_balancer,
}


def finish(now: datetime, data: SandboxData) -> None:
    """Back-date what moto stamped with the seeding time (see the module docstring)."""
    for (account_id, kind, rid), days in _AGES.items():
        _BACKDATE[kind](account_id, rid, now - timedelta(days=days))
    _AGES.clear()
