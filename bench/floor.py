"""The floor: plain boto3 making the minimum calls the benchmark pack's data needs, and nothing else.

`python -m bench.floor CONFIG OUT.json [WORKERS]` reads an opsbook.yaml (endpoint, accounts with role_arn and
regions), assumes each account's role once, lists each target's data once (targets in parallel, as
opsbook does), evaluates the pack's checks with opsbook's default thresholds, and writes
`{"findings": {check id: failing count}}`.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import yaml

KEEP = ("opsbook:keep", "true")
LOADER = botocore.loaders.create_loader()
WORKERS = 32  # opsbook's run.concurrency default


def listing(client: Any, op: str, key: str, **kw: Any) -> list[dict[str, Any]]:
    if client.can_paginate(op):
        return [item for page in client.get_paginator(op).paginate(**kw) for item in page.get(key, [])]
    return list(getattr(client, op)(**kw).get(key, []))


def kept(tags: list[dict[str, str]] | None) -> bool:
    return any(t["Key"] == KEEP[0] and t.get("Value", "").lower() == KEEP[1] for t in tags or [])


def age_days(now: datetime, when: datetime | None) -> int | None:
    return None if when is None else (now - when).days


def target(creds: dict[str, Any], url: str, region: str, now: datetime) -> dict[str, int]:
    base = botocore.session.Session()
    base.register_component("data_loader", LOADER)  # each service's model parsed once, not per target
    base.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    session = boto3.Session(botocore_session=base)

    def client(name: str) -> Any:
        return session.client(name, region_name=region, endpoint_url=url)

    ec2, elb, cw = client("ec2"), client("elbv2"), client("cloudwatch")
    out: dict[str, int] = {}
    vols = listing(ec2, "describe_volumes", "Volumes")
    out["ec2.unattached_volumes"] = sum(
        v["State"] == "available"
        and not kept(v.get("Tags"))
        and (age_days(now, v.get("CreateTime")) or 0) >= 7
        for v in vols
    )
    addrs = ec2.describe_addresses()["Addresses"]
    out["ec2.unassociated_addresses"] = sum(
        not (a.get("AssociationId") or a.get("InstanceId") or a.get("NetworkInterfaceId"))
        and not kept(a.get("Tags"))
        for a in addrs
    )
    used = {
        bdm["Ebs"]["SnapshotId"]
        for image in listing(ec2, "describe_images", "Images", Owners=["self"])
        for bdm in image.get("BlockDeviceMappings", [])
        if (bdm.get("Ebs") or {}).get("SnapshotId")
    }
    snaps = listing(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"])
    out["ec2.old_snapshots"] = sum(
        (age_days(now, s.get("StartTime")) or 0) >= 90
        and s["SnapshotId"] not in used
        and not kept(s.get("Tags"))
        for s in snaps
    )
    in_use = {
        g["GroupId"]
        for eni in listing(ec2, "describe_network_interfaces", "NetworkInterfaces")
        for g in eni["Groups"]
    }
    groups = listing(ec2, "describe_security_groups", "SecurityGroups")
    referenced = {  # named by another group's rule: AWS refuses to delete it (DependencyViolation)
        pair["GroupId"]
        for g in groups
        for rule in g.get("IpPermissions", []) + g.get("IpPermissionsEgress", [])
        for pair in rule.get("UserIdGroupPairs", [])
        if pair.get("GroupId") and pair["GroupId"] != g["GroupId"]
    }
    out["ec2.unused_security_groups"] = sum(
        g["GroupName"] != "default" and g["GroupId"] not in in_use | referenced for g in groups
    )
    out["elbv2.idle_load_balancers"] = idle_lbs(elb, cw, now)
    out["cloudwatch.alarms_in_alarm"] = sum(
        a["StateValue"] == "ALARM" for a in listing(cw, "describe_alarms", "MetricAlarms")
    )
    out["rds.instance_not_available"] = sum(
        d["DBInstanceStatus"] != "available"
        for d in listing(client("rds"), "describe_db_instances", "DBInstances")
    )
    eks = client("eks")
    out["eks.cluster_not_active"] = sum(
        eks.describe_cluster(name=name)["cluster"]["status"] != "ACTIVE"
        for name in listing(eks, "list_clusters", "clusters")
    )
    return out


def idle_lbs(elb: Any, cw: Any, now: datetime) -> int:
    lbs = [
        lb
        for lb in listing(elb, "describe_load_balancers", "LoadBalancers")
        if lb.get("Type") == "application"
    ]
    arns = [lb["LoadBalancerArn"] for lb in lbs]
    tags: dict[str, list[dict[str, str]]] = {}
    for i in range(0, len(arns), 20):
        for d in elb.describe_tags(ResourceArns=arns[i : i + 20])["TagDescriptions"]:
            tags[d["ResourceArn"]] = d.get("Tags", [])
    queries = []
    for i, arn in enumerate(arns):
        dims = [{"Name": "LoadBalancer", "Value": arn.split(":loadbalancer/", 1)[1]}]
        for prefix, metric in (("r", "RequestCount"), ("b", "ProcessedBytes")):
            stat = {"Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": metric, "Dimensions": dims}}
            queries.append({"Id": f"{prefix}{i}", "MetricStat": {**stat, "Period": 86400, "Stat": "Sum"}})
    sums: dict[str, float] = {}
    for i in range(0, len(queries), 500):
        kw = {"MetricDataQueries": queries[i : i + 500], "StartTime": now - timedelta(days=7), "EndTime": now}
        for page in cw.get_paginator("get_metric_data").paginate(**kw):
            for r in page["MetricDataResults"]:
                sums[r["Id"]] = sums.get(r["Id"], 0.0) + sum(r.get("Values", []))
    idle = 0
    for i, lb in enumerate(lbs):
        quiet = sums.get(f"r{i}", 0.0) <= 100 and sums.get(f"b{i}", 0.0) <= 10 * 1024 * 1024
        old = (age_days(now, lb.get("CreatedTime")) or 0) >= 7
        idle += quiet and old and not kept(tags.get(lb["LoadBalancerArn"]))
    return idle


def run(config: dict[str, Any], workers: int = WORKERS) -> dict[str, int]:
    url = config["aws"]["endpoint_url"]
    default_regions = config["aws"].get("default_regions") or ["us-east-1"]
    now = datetime.now(UTC)
    base = boto3.Session(region_name=default_regions[0])
    sts = base.client("sts", endpoint_url=url)
    totals: dict[str, int] = {}
    # one assume-role per account (in parallel too: at fleet size they add up); a boto3 session per target
    # (sessions are not thread-safe, clients are)
    with ThreadPoolExecutor(workers) as pool:
        accounts = config["accounts"]
        assumed = pool.map(
            lambda a: sts.assume_role(RoleArn=a["role_arn"], RoleSessionName="bench-floor")["Credentials"],
            accounts,
        )
        jobs = [
            (creds, region)
            for acct, creds in zip(accounts, assumed, strict=True)
            for region in acct.get("regions") or default_regions
        ]
        for counts in pool.map(lambda j: target(j[0], url, j[1], now), jobs):
            for check, n in counts.items():
                totals[check] = totals.get(check, 0) + n
    return totals


def main(argv: list[str]) -> int:
    config = yaml.safe_load(Path(argv[0]).read_text(encoding="utf-8"))
    workers = int(argv[2]) if len(argv) > 2 else WORKERS
    Path(argv[1]).write_text(json.dumps({"findings": run(config, workers)}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
