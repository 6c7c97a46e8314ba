"""The weekly performance and cost reviews and the monthly capacity plan, seeded to fire both ways.

| check                          | passes                                  | fails                                   |
|--------------------------------|-----------------------------------------|-----------------------------------------|
| apigateway.latency_weekly      | dev/staging `my-api` ~150 ms            | prod `my-api` ~1.5 s average            |
| rds.slow_queries               | dev/staging `my-database` (postgres)    | prod `my-database`; staging MySQL reporting |
| ce.weekly_cost_by_service      | stable services                          | prod EC2 +75 % week over week           |
| ec2.underutilised_instances    | `web` instances ~40 % CPU               | dev/prod `batch` ~1.5 % CPU             |
| rds.underutilised_instances    | dev/prod `my-database`                  | staging `my-database` with no connections |
| ce.reservation_utilization     | dev 96 %; staging has none               | prod 61.5 %                             |
| ce.weekly_cost_anomalies       | dev $3 anomaly                           | prod $452, staging $85                  |
| eks.nodegroup_headroom         | `system`, dev/staging `application`     | prod `application` 10/10                |
| rds.storage_capacity           | dev/staging `my-database`               | prod 88 % used; staging reporting without autoscaling |
| s3.bucket_growth               | dev/staging `my-bucket-*`               | prod `my-bucket-prod` +80 % in a month  |
| ce.cost_forecast               | dev, staging                             | prod forecast +50 % over last month     |
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import botocore.exceptions

from opsbook.sandbox.aws import backdate
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.seed import RDS_STOPPED, STOPPED_AGO, default_group, put_series
from opsbook.sandbox.estate import API, DATABASE, REGION, SANDBOX_AMI, SandboxAccount

GIB = 1024**3
INSTANCE_AGE = timedelta(days=90)  # web/batch run long before their week of metrics
_LAUNCHED: list[tuple[str, str]] = []  # (account id, instance id), back-dated in finish()
WEEK_POINTS, WEEK_STEP = 42, timedelta(hours=4)  # 7 days of datapoints, all older than an hour


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    cw = client("cloudwatch")
    seed_api_latency(cw, acct, now)
    seed_rds_metrics(cw, acct, now)
    seed_instances(client("ec2"), cw, acct, now)
    seed_bucket_sizes(client("s3"), cw, acct, now)
    seed_costs(data, acct, now)
    seed_slow_logs(data, acct, now)


def seed_api_latency(cw: Any, acct: SandboxAccount, now: datetime) -> None:
    base = {"dev": 100.0, "staging": 150.0, "prod": 900.0}[acct.name]
    spread = 1700.0 if acct.name == "prod" else 120.0
    put_series(
        cw,
        "AWS/ApiGateway",
        "Latency",
        {"ApiName": API},
        now,
        lambda i: base + spread * ((i * 7) % 6) / 5,
        unit="Milliseconds",
        points=WEEK_POINTS,
        step=WEEK_STEP,
    )


def seed_rds_metrics(cw: Any, acct: SandboxAccount, now: datetime) -> None:
    cpu, connections, free_gib = {"dev": (25, 12, 70), "staging": (22, 0, 60), "prod": (70, 150, 12)}[
        acct.name
    ]
    dims = {"DBInstanceIdentifier": DATABASE}
    put_series(
        cw,
        "AWS/RDS",
        "CPUUtilization",
        dims,
        now,
        lambda i: cpu + i % 5,
        unit="Percent",
        points=WEEK_POINTS,
        step=WEEK_STEP,
    )
    put_series(
        cw,
        "AWS/RDS",
        "DatabaseConnections",
        dims,
        now,
        lambda i: connections * (1 + i % 2),
        unit="Count",
        points=WEEK_POINTS,
        step=WEEK_STEP,
    )
    put_series(
        cw,
        "AWS/RDS",
        "FreeStorageSpace",
        dims,
        now,
        lambda i: free_gib * GIB + i * 1024**2,
        points=6,
        step=timedelta(hours=3),
        unit="Bytes",
    )


def seed_instances(ec2: Any, cw: Any, acct: SandboxAccount, now: datetime) -> None:
    """`web` and `batch`, launched INSTANCE_AGE ago into the default VPC (its default security group named,
    as AWS lists it on the instance too), with a week of CPU."""
    image = SANDBOX_AMI  # moto's ~1,200 default AMIs are not loaded (see sandbox/runtime.py)
    wanted = {"web": 40.0} | ({"batch": 1.5} if acct.name != "staging" else {})
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    group = default_group(ec2, vpc)
    for name, cpu in wanted.items():
        inst = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType="m5.large",
            SecurityGroupIds=[group],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
        )["Instances"][0]["InstanceId"]
        _LAUNCHED.append((acct.id, inst))
        put_series(
            cw,
            "AWS/EC2",
            "CPUUtilization",
            {"InstanceId": inst},
            now,
            lambda i, c=cpu: c + (i % 3) * 0.2,
            unit="Percent",
            points=WEEK_POINTS,
            step=WEEK_STEP,
        )


def seed_bucket_sizes(s3: Any, cw: Any, acct: SandboxAccount, now: datetime) -> None:
    """Daily BucketSizeBytes at midnight for 31 days, as S3 reports it."""
    bucket = f"my-bucket-{acct.name}"
    try:
        s3.head_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError:
        s3.create_bucket(Bucket=bucket)
    start_gib, end_gib = {"dev": (50, 50), "staging": (20, 22), "prod": (100, 180)}[acct.name]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    put_series(
        cw,
        "AWS/S3",
        "BucketSizeBytes",
        {"BucketName": bucket, "StorageType": "StandardStorage"},
        midnight + timedelta(days=1) - timedelta(seconds=30),  # put_series adds 30 s: exactly at midnight
        lambda i: (end_gib - (end_gib - start_gib) * i / 30) * GIB,
        points=31,
        step=timedelta(days=1),
        unit="Bytes",
    )


def seed_costs(data: SandboxData, acct: SandboxAccount, now: datetime) -> None:
    today = now.date()
    rates = {
        "dev": {
            "Amazon Elastic Compute Cloud - Compute": (40, 40),
            "Amazon Relational Database Service": (25, 25),
        },
        "staging": {
            "Amazon Elastic Compute Cloud - Compute": (60, 60),
            "Amazon Relational Database Service": (30, 30),
        },
        "prod": {
            "Amazon Elastic Compute Cloud - Compute": (120, 210),
            "Amazon Relational Database Service": (80, 80),
        },
    }[acct.name] | {"Amazon Simple Storage Service": (3, 3)}
    daily: dict[str, dict[str, float]] = {}
    for service, (before, lately) in rates.items():
        days = {}
        for back in range(1, 63):
            day = today - timedelta(days=back)
            days[day.isoformat()] = float(lately if back <= 7 else before) + (back % 3) * 0.25
        daily[service] = days
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    last_total = sum(
        v
        for days in daily.values()
        for d, v in days.items()
        if last_month.isoformat() <= d < this_month.isoformat()
    )
    growth = {"dev": 1.02, "staging": 0.95, "prod": 1.5}[acct.name]
    state: dict[str, Any] = {"daily": daily, "forecast": round(last_total * growth, 2)}
    reservations = {
        "dev": ("96.4", "168", "162", "6", "41.20"),
        "prod": ("61.5", "336", "206.6", "129.4", "12.10"),
    }.get(acct.name)
    if reservations:
        pct, purchased, used, unused, savings = reservations
        state["reservations"] = {
            "UtilizationPercentage": pct,
            "PurchasedHours": purchased,
            "TotalActualHours": used,
            "UnusedHours": unused,
            "NetRISavings": savings,
        }
    data.extra.setdefault("ce", {})[acct.id] = state
    if acct.name == "staging":
        when = (now - timedelta(days=4)).date().isoformat()
        data.anomalies.setdefault(acct.id, []).append(
            {
                "AnomalyId": "anomaly-staging-rds",
                "AnomalyStartDate": when,
                "AnomalyEndDate": when,
                "DimensionValue": "Amazon Relational Database Service",
                "RootCauses": [{"Service": "Amazon Relational Database Service", "Region": REGION}],
                "AnomalyScore": {"MaxScore": 0.71, "CurrentScore": 0.64},
                "Impact": {"MaxImpact": 40.0, "TotalImpact": 85.3},
                "MonitorArn": f"arn:aws:ce::{acct.id}:anomalymonitor/sandbox",
            }
        )


PG_PREFIX = "{ts} UTC:10.0.1.{host}(5432):app@appdb:[{pid}]:LOG:  "


def postgres_log(now: datetime, entries: list[tuple[float, str]]) -> str:
    lines = []
    for n, (ms, sql) in enumerate(entries):
        ts = (now - timedelta(hours=30, minutes=n)).strftime("%Y-%m-%d %H:%M:%S")
        first, *rest = sql.split("\n")
        lines.append(
            PG_PREFIX.format(ts=ts, host=n % 9 + 1, pid=4000 + n) + f"duration: {ms} ms  statement: {first}"
        )
        lines.extend("\t" + r for r in rest)
        lines.append(
            PG_PREFIX.format(ts=ts, host=1, pid=4000 + n) + "connection authorized: user=app database=appdb"
        )
    return "\n".join(lines) + "\n"


def mysql_log(written: datetime, entries: list[tuple[float, str]]) -> str:
    """A MySQL slow-query log last written at `written`, its entries from 20 h before."""
    out = [
        "/rdsdbbin/mysql/bin/mysqld, Version: 8.0.35 (Source distribution). started with:",
        "Tcp port: 3306  Unix socket: /tmp/mysql.sock",
        "Time                 Id Command    Argument",
    ]
    for n, (seconds, sql) in enumerate(entries):
        when = written - timedelta(hours=20, minutes=n)
        out += [
            f"# Time: {when.strftime('%Y-%m-%dT%H:%M:%S.000000Z')}",
            f"# User@Host: report[report] @  [10.0.3.{n % 9}]  Id:    {70 + n}",
            f"# Query_time: {seconds:.6f}  Lock_time: 0.000120 Rows_sent: 12  Rows_examined: {400000 + n}",
            "use reporting;",
            f"SET timestamp={int(when.timestamp())};",
            *sql.split("\n"),
        ]
    return "\n".join(out) + "\n"


def seed_slow_logs(data: SandboxData, acct: SandboxAccount, now: datetime) -> None:
    fast = [(120.5 + n, f"SELECT id, name FROM customers WHERE id = {n}") for n in range(12)]
    fast += [(850.0, "UPDATE sessions SET seen_at = now() WHERE id = 'a1b2'")]
    slow = [
        (6000.0 + 250 * n, f"SELECT * FROM orders WHERE customer_id = {n} ORDER BY created_at")
        for n in range(14)
    ]
    slow += [
        (9800.0, "SELECT o.id, sum(l.amount)\nFROM orders o JOIN lines l ON l.order_id = o.id\nGROUP BY o.id")
    ]
    written = int((now - timedelta(hours=6)).timestamp() * 1000)
    day = (now - timedelta(days=1)).strftime("%Y-%m-%d")
    files: dict[str, dict[str, tuple[int, str]]] = {}
    if acct.name == "prod":
        files[DATABASE] = {
            f"error/postgresql.log.{day}-10": (written, postgres_log(now, slow[:8] + fast)),
            f"error/postgresql.log.{day}-11": (written, postgres_log(now, slow[8:])),
        }
    else:
        files[DATABASE] = {f"error/postgresql.log.{day}-10": (written, postgres_log(now, fast))}
    if acct.name == RDS_STOPPED[0]:  # its log stopped with it, inside the 7 days the check reads
        stopped = now - STOPPED_AGO
        old = int((now - timedelta(days=10)).timestamp() * 1000)
        report = [(12.5, "SELECT region, sum(total) FROM invoices\nWHERE year = 2026 GROUP BY region;")] * 3
        files[RDS_STOPPED[1]] = {
            "slowquery/mysql-slowquery.log": (
                int(stopped.timestamp() * 1000),
                mysql_log(stopped, report + [(0.8, "SELECT 1;")]),
            ),
            "slowquery/mysql-slowquery.log.9": (
                old,
                mysql_log(now - timedelta(days=10), [(99.0, "SELECT sleep(99);")]),
            ),
        }
    data.extra.setdefault("rds", {})[acct.id] = files


def finish(now: datetime, data: SandboxData) -> None:
    for account_id, instance in _LAUNCHED:
        backdate.instance(account_id, instance, now - INSTANCE_AGE)
    _LAUNCHED.clear()
