"""A large, scalable estate for benchmarks: N accounts x M regions of EC2/ELB/CloudWatch/Secrets waste.

`opsbook sandbox up --accounts N --regions M --scale K` seeds this on top of the guide's estate. At scale 1
every account-region gets about 2,000 EBS volumes, 500 Elastic IPs, 300 snapshots (most of them old),
200 security groups, 20 load balancers, 100 alarms and 50 secrets, with a fixed share of each failing
the cost/security checks. Building that through the HTTP API would take minutes, so the resources are
created directly in moto's in-process backends (the sandbox runs moto in this process).

The mix is deterministic (seeded `random.Random`), so every tool sees the same estate in every round.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.estate import ACCOUNTS, REGION, SANDBOX_AMI, SandboxAccount

REGIONS = (REGION, "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1")
KEEP = {"opsbook:keep": "true"}
# per account-region at scale 1
BASE = {
    "volumes": 2000,
    "addresses": 500,
    "snapshots": 300,
    "security_groups": 200,
    "load_balancers": 20,
    "alarms": 100,
    "secrets": 50,
}


@dataclass(frozen=True)
class BulkEstate:
    accounts: int = 3
    regions: int = 2
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.accounts < 1 or not 1 <= self.regions <= len(REGIONS) or self.scale < 0:
            raise ValueError(
                f"accounts >= 1, 1 <= regions <= {len(REGIONS)}, scale >= 0 (got {self.accounts}, "
                f"{self.regions}, {self.scale})"
            )

    @property
    def account_list(self) -> list[SandboxAccount]:
        extra = [
            SandboxAccount(f"account-{i + 1:03d}", f"9{i + 1:011d}")
            for i in range(len(ACCOUNTS), self.accounts)
        ]
        return [*ACCOUNTS[: self.accounts], *extra]

    @property
    def region_list(self) -> list[str]:
        return list(REGIONS[: self.regions])

    def count(self, kind: str) -> int:
        n = round(BASE[kind] * self.scale)
        return max(n, 2) if self.scale > 0 else 0

    def accounts_config(self) -> list[dict[str, Any]]:
        """opsbook.yaml `accounts:` for this estate: every account, every region."""
        return [
            {"name": a.name, "id": a.id, "role_arn": a.role_arn, "regions": self.region_list}
            for a in self.account_list
        ]

    def size(self) -> dict[str, Any]:
        """What the estate holds, for benchmark reports (bulk resources only; the guide's estate is extra)."""
        targets = self.accounts * self.regions
        return {
            "accounts": self.accounts,
            "regions": self.regions,
            "scale": self.scale,
            "per_account_region": {k: self.count(k) for k in BASE},
            "total": {k: self.count(k) * targets for k in BASE},
        }


def seed_bulk(endpoint: str, data: SandboxData, estate: BulkEstate, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    for acct in estate.account_list:
        for region in estate.region_list:
            seed_target(endpoint, data, estate, acct, region, now)


def seed_target(
    endpoint: str,
    data: SandboxData,
    estate: BulkEstate,
    acct: SandboxAccount,
    region: str,
    now: datetime,
) -> None:
    from moto.ec2.models import ec2_backends

    rng = random.Random(f"{acct.id}/{region}")
    ec2 = ec2_backends[acct.id][region]
    subnets = sorted(ec2.get_default_subnets().values(), key=lambda s: s.availability_zone)
    groups = seed_security_groups(ec2, estate.count("security_groups"))
    used_groups = groups[: len(groups) // 2]
    instances = seed_instances(endpoint, acct, region, subnets[0].id, max(1, estate.count("volumes") // 50))
    seed_volumes(ec2, estate.count("volumes"), instances, subnets[0].availability_zone, now, rng)
    seed_snapshots(ec2, estate.count("snapshots"), subnets[0].availability_zone, now, rng)
    seed_addresses(ec2, estate.count("addresses"), subnets[0], used_groups, rng)
    arns = seed_load_balancers(acct, region, estate.count("load_balancers"), [s.id for s in subnets[:2]], now)
    seed_alarms(acct, region, estate.count("alarms"), rng)
    seed_secrets(data, acct, region, estate.count("secrets"), now, rng)
    put_lb_traffic(acct, region, arns, now)


def seed_security_groups(ec2: Any, n: int) -> list[str]:
    vpc = ec2.get_default_vpc().id
    return [
        ec2.create_security_group(f"bulk-sg-{i:05d}", "bulk benchmark group", vpc_id=vpc, force=True).id
        for i in range(n)
    ]


def seed_instances(endpoint: str, acct: SandboxAccount, region: str, subnet: str, n: int) -> list[str]:
    """A few instances to attach volumes to (through the API: RunInstances has too many moving parts)."""
    from opsbook.sandbox.aws.seed import clients_for

    api = clients_for(endpoint, acct, region)("ec2")
    out = api.run_instances(
        ImageId=SANDBOX_AMI, MinCount=n, MaxCount=n, SubnetId=subnet, InstanceType="t3.micro"
    )
    return [i["InstanceId"] for i in out["Instances"]]


def seed_volumes(ec2: Any, n: int, instances: list[str], az: str, now: datetime, rng: random.Random) -> None:
    """70 % attached; of the rest a tenth kept, a tenth a day old, the others 30+ days old (fail)."""
    for i in range(n):
        v = ec2.create_volume(size=rng.choice((8, 20, 100, 500)), zone_name=az, volume_type="gp3")
        roll = rng.random()
        if roll < 0.7:
            inst = instances[i % len(instances)]
            ec2.attach_volume(v.id, inst, f"/dev/xvd{i // len(instances):05d}")
            v.create_time = now - timedelta(days=rng.randint(30, 400))
        elif roll < 0.73:
            ec2.create_tags([v.id], dict(KEEP))
            v.create_time = now - timedelta(days=100)
        elif roll < 0.76:
            v.create_time = now - timedelta(days=1)
        else:
            v.create_time = now - timedelta(days=rng.randint(30, 400))


def seed_snapshots(ec2: Any, n: int, az: str, now: datetime, rng: random.Random) -> None:
    """60 % of them 120+ days old (fail unless kept), the rest from the last month."""
    source = ec2.create_volume(size=100, zone_name=az, volume_type="gp3")
    source.create_time = now - timedelta(days=2)
    ec2.attach_volume(source.id, next(iter(ec2.all_instances())).id, "/dev/xvdsource")
    for i in range(n):
        snap = ec2.create_snapshot(source.id, f"bulk snapshot {i}")
        snap.start_time = now - timedelta(
            days=rng.randint(120, 700) if rng.random() < 0.6 else rng.randint(0, 30)
        )


def seed_addresses(ec2: Any, n: int, subnet: Any, groups: list[str], rng: random.Random) -> None:
    """80 % associated with a network interface (that uses one of `groups`), the rest spare."""
    for i in range(n):
        eip = ec2.allocate_address("vpc")
        if rng.random() < 0.8:
            eni = ec2.create_network_interface(subnet, None, group_ids=[groups[i % len(groups)]])
            ec2.associate_address(eni=eni, allocation_id=eip.allocation_id)
        elif rng.random() < 0.1:
            ec2.create_tags([eip.allocation_id], dict(KEEP))


def seed_load_balancers(
    acct: SandboxAccount, region: str, n: int, subnets: list[str], now: datetime
) -> list[str]:
    from moto.core.utils import iso_8601_datetime_with_milliseconds
    from moto.elbv2.models import elbv2_backends

    elb = elbv2_backends[acct.id][region]
    arns = []
    for i in range(n):
        lb = elb.create_load_balancer(
            f"bulk-alb-{i:04d}", [], subnets, tags=[{"Key": "Name", "Value": f"bulk-{i}"}]
        )
        lb.created_time = iso_8601_datetime_with_milliseconds(now - timedelta(days=60))
        arns.append(lb.arn)
    return arns


def put_lb_traffic(acct: SandboxAccount, region: str, arns: list[str], now: datetime) -> None:
    """Daily RequestCount/ProcessedBytes for every other load balancer (the rest are idle: no data)."""
    from moto.cloudwatch.models import cloudwatch_backends

    datums = []
    for arn in arns[::2]:
        dim = [{"Name": "LoadBalancer", "Value": arn.split(":loadbalancer/", 1)[1]}]
        for day in range(6):
            ts = (now - timedelta(days=day + 1) + timedelta(seconds=30)).replace(
                tzinfo=None
            )  # as moto stores
            for metric, value in (("RequestCount", 20000.0), ("ProcessedBytes", 8e7)):
                datums.append({"MetricName": metric, "Dimensions": dim, "Timestamp": ts, "Value": value})
    if datums:
        cloudwatch_backends[acct.id][region].put_metric_data("AWS/ApplicationELB", datums)


def seed_alarms(acct: SandboxAccount, region: str, n: int, rng: random.Random) -> None:
    """One in ten in ALARM, the rest OK."""
    from moto.cloudwatch.models import cloudwatch_backends

    cw = cloudwatch_backends[acct.id][region]
    for i in range(n):
        name = f"bulk-alarm-{i:05d}"
        cw.put_metric_alarm(
            name=name,
            namespace="AWS/EC2",
            metric_name="CPUUtilization",
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=3,
            period=300,
            threshold=80.0,
            statistic="Average",
            description="bulk benchmark alarm",
            dimensions=[{"Name": "InstanceId", "Value": f"i-bulk{i:08d}"}],
            alarm_actions=[],
        )
        state = "ALARM" if rng.random() < 0.1 else "OK"
        cw.set_alarm_state(name, f"bulk {state}", None, state)  # type: ignore[arg-type]


def seed_secrets(
    data: SandboxData, acct: SandboxAccount, region: str, n: int, now: datetime, rng: random.Random
) -> None:
    """Half rotated recently and read yesterday (pass); the rest unrotated and/or unread (fail)."""
    from moto.secretsmanager.models import secretsmanager_backends

    sm = secretsmanager_backends[acct.id][region]
    accessed = data.extra.setdefault("secretsmanager", {}).setdefault(acct.id, {})
    created = int((now - timedelta(days=200)).timestamp())
    for i in range(n):
        name = f"bulk/{region}/secret-{i:05d}"
        sm.create_secret(name, "s3cr3t", None, None, None, None, None, [], False)
        secret: Any = sm.secrets[name]
        secret.created_date = created
        if rng.random() < 0.5:
            secret.rotation_enabled = True
            secret.rotation_lambda_arn = f"arn:aws:lambda:{region}:{acct.id}:function:rotate"
            secret.auto_rotate_after_days = 30
            secret.last_rotation_date = int((now - timedelta(days=5)).timestamp())
            accessed[name] = now - timedelta(days=1)
        elif rng.random() < 0.5:
            accessed[name] = now - timedelta(days=rng.randint(1, 200))
