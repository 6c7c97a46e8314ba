"""Seed the guide's estate into the running sandbox, through the real APIs where moto has them.

Every daily AWS check has at least one resource that passes and one that fails:

| check                           | passes                                   | fails                                  |
|---------------------------------|------------------------------------------|----------------------------------------|
| cloudwatch.alarms_in_alarm      | dev/staging alarms OK                    | prod `my-database-cpu-high` in ALARM   |
| rds.instance_not_available      | `my-database` everywhere                 | RDS_STOPPED: staging `my-database-reporting` stopped|
| rds.cpu_high                    | dev/staging `my-database` ~20 %          | prod `my-database` ~93 %               |
| eks.cluster_not_active          | dev/prod `my-cluster` ACTIVE             | staging `my-cluster` UPDATING          |
| eks.nodegroup_unhealthy         | `system` node groups                     | prod `application` at max; staging health issue |
| ce.cost_anomalies               | dev $3 anomaly (below threshold)         | prod $452 EC2 anomaly                  |
| apigateway.errors_latency       | dev/staging `my-api`                     | prod `my-api` 8 % 5XX and 1.8 s latency|
| logs.error_patterns             | dev EKS/Lambda logs clean, few REJECTs   | prod EKS/Lambda errors, many REJECTs   |

The estate is internally consistent (tests/sandbox/test_seed_consistency.py, test_seed_references.py):
the service roles (SERVICE_ROLES) come first; each account's EKS cluster
and RDS instances sit in its default VPC's subnets behind their own security groups, with the ENIs AWS
creates for them; every cluster runs KUBERNETES_VERSION (so do its node groups, but the named
KUBERNETES_VERSION_SKEW) and has its own endpoint; dates follow each
object's history (sandbox/aws/backdate.py): the roles are SERVICE_ROLE_AGE old, the cluster CLUSTER_AGE, the
databases DB_AGE, the buckets BUCKET_AGE and the log groups and flow logs LOG_GROUP_AGE; the stopped
database has backed up nothing since it stopped. The Lambda and flow-log groups have their function and
flow log; the flow log's records name the database's ENI.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import random
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from opsbook.sandbox.aws import backdate
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.estate import (
    ACCOUNTS,
    API,
    CLUSTER,
    DATABASE,
    KUBERNETES_VERSION,
    NODE_INSTANCE_TYPE,
    REGION,
    RELEASES,
    SandboxAccount,
    account,
    nodegroup_version,
    stack_tags,
)

KEY = "opsbooksandbox"
CLUSTER_AGE = timedelta(days=500)  # older than everything the fake Kubernetes API seeds (400-day namespaces)
NODEGROUPS_AFTER = timedelta(hours=1)
NODE_INSTANCE_TYPES = {"system": ["m5.large"], "application": ["m5.xlarge"]}
DB_AGE = timedelta(days=400)
# node group -> (min, desired, max) per account ("*": the others). prod's cluster is the fake Kubernetes API's,
# so its desired sizes are the nodes that API has of each group (seed_workloads' NODE_*); its `application`
# group is at max (eks.nodegroup_unhealthy and eks.nodegroup_headroom fail there)
NODEGROUP_SIZES = {
    "prod": {"system": (1, 1, 4), "application": (3, 5, 5)},
    "*": {"system": (2, 2, 4), "application": (3, 4, 10)},
}
# rds.snapshot_missing fails here: automated backups off (BackupRetentionPeriod 0, so AWS keeps no automated
# snapshot; sandbox/aws/fixes.py makes moto agree), the newest snapshot a manual one (seeds/backups.py)
RDS_BACKUPS_OFF = ("prod",)
# rds.instance_not_available fails here: (account, instance) stopped STOPPED_AGO ago (AWS starts a stopped
# instance again after 7 days). Its automated backups and its log stopped with it: its automated snapshot
# is the one taken LAST_BACKUP_BEFORE_STOP, still inside rds.snapshot_missing's 7 days (so that check passes
# it; its failing case is RDS_BACKUPS_OFF)
RDS_STOPPED = ("staging", "my-database-reporting")
STOPPED_AGO = timedelta(days=2)
LAST_BACKUP_BEFORE_STOP = timedelta(hours=5)
RDS_MULTI_AZ = ("prod",)  # accounts whose `my-database` is Multi-AZ, as their stack says (multi_az: true)
BUCKET_AGE = timedelta(days=400)  # every bucket: older than the month of S3 metrics CloudWatch has of it
LOG_GROUP_AGE = timedelta(days=365)  # every log group and stream: older than its events, younger than EKS
# the roles AWS services assume in every account (role -> the service it trusts), named by EKS, node groups,
# S3 replication (seeds/backups.py), the Config recorder (seeds/security.py), Lambda and the VPC flow log;
# created SERVICE_ROLE_AGE ago, before anything that uses them. Trust only: no permissions to judge
SERVICE_ROLES = {
    "eks-cluster": "eks.amazonaws.com",
    "eks-node": "ec2.amazonaws.com",
    "s3-replication": "s3.amazonaws.com",
    "aws-config": "config.amazonaws.com",
    "my-function-role": "lambda.amazonaws.com",
    "vpc-flow-logs": "vpc-flow-logs.amazonaws.com",
}
SERVICE_ROLE_AGE = timedelta(days=600)  # older than the cluster (CLUSTER_AGE)
FUNCTION = (
    "my-function"  # the Lambda function behind `/aws/lambda/my-function` (never run: moto needs docker)
)
FLOW_LOGS = "/aws/vpc/flowlogs"  # the default VPC's flow log delivers here


_SESSION_LOCK = threading.Lock()


@functools.cache
def _seed_session() -> boto3.Session:
    """One boto3 session for all seeding: botocore loads each service's model once per session, which
    was most of the time of seeding hundreds of accounts (a new session per account-region)."""
    return boto3.Session()


def clients_for(endpoint: str, acct: SandboxAccount, region: str = REGION) -> Any:
    """`client(service)` inside `acct` and `region`, reached the way opsbook reaches it (assume-role)."""
    session = _seed_session()
    with _SESSION_LOCK:  # a boto3 session makes clients one thread at a time
        sts = session.client(
            "sts", region_name=region, endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=KEY
        )
    creds = sts.assume_role(RoleArn=acct.role_arn, RoleSessionName="sandbox-seed")["Credentials"]
    keys = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    cache: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in cache:
            with _SESSION_LOCK:
                cache[service] = session.client(service, region_name=region, endpoint_url=endpoint, **keys)
        return cache[service]

    return client


def seed(endpoint: str, data: SandboxData, now: datetime | None = None) -> None:
    """The daily estate below, then every module of `sandbox/aws/seeds/` (weekly, monthly, cleanup...).

    A seeds module defines `seed_account(client, acct, now, data)` (called per account, `client(service)`
    makes a boto3 client inside that account) and optionally `finish(now, data)` (called once after).
    """
    now = now or datetime.now(UTC)
    extra = seed_modules()

    def one(acct: SandboxAccount) -> None:
        client = clients_for(endpoint, acct)
        bad = acct.name == "prod"
        seed_service_roles(client)
        seed_rds(client, acct, now, bad)
        seed_alarms(client, acct, bad)
        seed_eks(client, acct)
        seed_apigateway(client, now, bad)
        seed_logs(client, acct, now, bad)
        seed_anomalies(data, acct, now)
        for mod in extra:
            mod.seed_account(client, acct, now, data)

    # accounts are independent (moto keeps one backend per account): seed them side by side
    with ThreadPoolExecutor(max_workers=len(ACCOUNTS), thread_name_prefix="sandbox-seed") as pool:
        list(pool.map(one, ACCOUNTS))
    poke_eks_states()
    backdate_estate(now)
    for mod in extra:
        if hasattr(mod, "finish"):
            mod.finish(now, data)


def seed_modules() -> list[Any]:
    import importlib
    import pkgutil

    from opsbook.sandbox.aws import seeds

    return [
        importlib.import_module(f"{seeds.__name__}.{i.name}")
        for i in sorted(pkgutil.iter_modules(seeds.__path__), key=lambda i: i.name)
    ]


def network(client: Any) -> tuple[str, list[str]]:
    """The account's default VPC and two of its subnets (us-east-1a, us-east-1b): where EKS and RDS run."""
    ec2 = client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    by_zone = {s["AvailabilityZone"]: s["SubnetId"] for s in sorted(subnets, key=lambda s: s["CidrBlock"])}
    return vpc, [by_zone[f"{REGION}a"], by_zone[f"{REGION}b"]]


def default_group(ec2: Any, vpc: str) -> str:
    """The VPC's `default` security group: named at launch, so that the instance lists the group its
    ENI has (moto leaves an instance launched without groups with none, its ENI with the default)."""
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    return str(groups[0]["GroupId"])


def interfaces(client: Any, subnets: list[str], group: str, description: str) -> None:
    """The ENIs AWS places in each subnet for a managed service (described as AWS describes them)."""
    ec2 = client("ec2")
    for subnet in subnets:
        ec2.create_network_interface(SubnetId=subnet, Groups=[group], Description=description)


def role_arn(acct: SandboxAccount, name: str) -> str:
    return f"arn:aws:iam::{acct.id}:role/{name}"


def seed_service_roles(client: Any) -> None:
    iam = client("iam")
    for name, service in SERVICE_ROLES.items():
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
        iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Description=f"for {service}"
        )


def seed_rds(client: Any, acct: SandboxAccount, now: datetime, bad: bool) -> None:
    rds = client("rds")
    vpc, subnets = network(client)
    group = client("ec2").create_security_group(
        GroupName=f"{DATABASE}-sg", Description="PostgreSQL/MySQL from the VPC", VpcId=vpc
    )["GroupId"]
    rds.create_db_subnet_group(
        DBSubnetGroupName=f"{DATABASE}-subnets", DBSubnetGroupDescription="databases", SubnetIds=subnets
    )
    placement = {"DBSubnetGroupName": f"{DATABASE}-subnets", "VpcSecurityGroupIds": [group]}
    tags = [{"Key": k, "Value": v} for k, v in stack_tags(acct.name).items()]
    rds.create_db_parameter_group(  # the team's own settings, which a restore must keep (not the default)
        DBParameterGroupName=f"{DATABASE}-params", DBParameterGroupFamily="postgres9.3", Description=DATABASE
    )
    rds.create_db_instance(
        DBInstanceIdentifier=DATABASE,
        DBParameterGroupName=f"{DATABASE}-params",
        DBInstanceClass="db.r5.large",
        Engine="postgres",
        AllocatedStorage=100,
        MaxAllocatedStorage=500,
        MasterUsername="platform",
        MasterUserPassword="sandbox-not-a-secret",
        BackupRetentionPeriod=0 if acct.name in RDS_BACKUPS_OFF else 1,
        MultiAZ=acct.name in RDS_MULTI_AZ,
        Tags=tags,
        **placement,
    )
    interfaces(client, subnets[:1], group, "RDSNetworkInterface")
    if acct.name == RDS_STOPPED[0]:
        rds.create_db_instance(
            DBInstanceIdentifier=RDS_STOPPED[1],
            DBInstanceClass="db.t3.medium",
            Engine="mysql",
            AllocatedStorage=20,
            MasterUsername="platform",
            MasterUserPassword="sandbox-not-a-secret",
            BackupRetentionPeriod=1,
            Tags=tags,
            **placement,
        )
        interfaces(client, subnets[1:], group, "RDSNetworkInterface")
        rds.stop_db_instance(DBInstanceIdentifier=RDS_STOPPED[1])
    level = 93.0 if bad else 20.0
    put_series(
        client("cloudwatch"),
        "AWS/RDS",
        "CPUUtilization",
        {"DBInstanceIdentifier": DATABASE},
        now,
        lambda _: level + random.uniform(-2, 2),
        unit="Percent",
    )


def put_series(
    cw: Any,
    namespace: str,
    metric: str,
    dims: dict[str, str],
    now: datetime,
    value: Any,
    *,
    points: int = 11,
    step: timedelta = timedelta(minutes=5),
    unit: str = "None",
) -> None:
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
            "Timestamp": now - step * (i + 1) + timedelta(seconds=30),
            "Value": float(value(i)),
            "Unit": unit,
        }
        for i in range(points)
    ]
    for i in range(0, len(data), 500):
        cw.put_metric_data(Namespace=namespace, MetricData=data[i : i + 500])


def seed_alarms(client: Any, acct: SandboxAccount, bad: bool) -> None:
    cw = client("cloudwatch")
    common = {
        "EvaluationPeriods": 3,
        "Period": 300,
        "Statistic": "Average",
        "ComparisonOperator": "GreaterThanThreshold",
    }
    cw.put_metric_alarm(
        AlarmName=f"{DATABASE}-cpu-high",
        Namespace="AWS/RDS",
        MetricName="CPUUtilization",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": DATABASE}],
        Threshold=80.0,
        **common,
    )
    cw.put_metric_alarm(
        AlarmName=f"{API}-5xx",
        Namespace="AWS/ApiGateway",
        MetricName="5XXError",
        Dimensions=[{"Name": "ApiName", "Value": API}],
        Threshold=50.0,
        **common,
    )
    cw.set_alarm_state(AlarmName=f"{API}-5xx", StateValue="OK", StateReason="Threshold not crossed")
    if bad:
        cw.set_alarm_state(
            AlarmName=f"{DATABASE}-cpu-high",
            StateValue="ALARM",
            StateReason="Threshold Crossed: 3 datapoints [93.1, 92.4, 94.0] were greater than the threshold (80.0).",
        )
    else:
        cw.set_alarm_state(
            AlarmName=f"{DATABASE}-cpu-high", StateValue="OK", StateReason="Threshold not crossed"
        )


def seed_eks(client: Any, acct: SandboxAccount) -> None:
    eks = client("eks")
    role = role_arn(acct, "eks-cluster")
    vpc, subnets = network(client)
    group = client("ec2").create_security_group(
        GroupName=f"eks-cluster-sg-{CLUSTER}", Description="EKS created security group", VpcId=vpc
    )["GroupId"]
    eks.create_cluster(
        name=CLUSTER,
        version=KUBERNETES_VERSION,
        roleArn=role,
        resourcesVpcConfig={"subnetIds": subnets, "securityGroupIds": [group]},
        tags=stack_tags(acct.name),
    )
    interfaces(client, subnets, group, f"Amazon EKS {CLUSTER}")
    for ng, (lo, desired, hi) in NODEGROUP_SIZES.get(acct.name, NODEGROUP_SIZES["*"]).items():
        eks.create_nodegroup(
            clusterName=CLUSTER,
            nodegroupName=ng,
            nodeRole=role_arn(acct, "eks-node"),
            subnets=subnets,
            scalingConfig={"minSize": lo, "desiredSize": desired, "maxSize": hi},
            # prod's groups are the fake cluster's nodes (all NODE_INSTANCE_TYPE, drift from its stack like
            # their sizes); the other accounts' groups are as their stacks declare
            instanceTypes=[NODE_INSTANCE_TYPE] if acct.name in NODEGROUP_SIZES else NODE_INSTANCE_TYPES[ng],
            labels={"nodegroup": ng},
            version=nodegroup_version(acct.name, ng),  # KUBERNETES_VERSION but the one named skew
            releaseVersion=RELEASES[nodegroup_version(acct.name, ng)].release,
        )


def eks_endpoint(account_id: str) -> str:
    """An EKS-shaped API endpoint of the account's cluster, its own (moto gives every cluster one)."""
    host = hashlib.sha256(f"{account_id}/{CLUSTER}".encode()).hexdigest()[:32].upper()
    return f"https://{host}.gr7.{REGION}.eks.amazonaws.com"


def poke_eks_states() -> None:
    """What the EKS API cannot be asked for: each cluster's own endpoint, its VPC id and its minor's platform
    version (moto gives every cluster the same endpoint, no VPC and `eks.4`), an update in progress, a
    degraded node group."""
    from moto.eks.models import eks_backends

    for acct in ACCOUNTS:
        cluster = eks_backends[acct.id][REGION].clusters[CLUSTER]
        cluster.endpoint = eks_endpoint(acct.id)  # prod's is the fake Kubernetes API's (runtime.point_eks_at)
        cluster.platformVersion = RELEASES[cluster.version].platform
        subnet = cluster.resources_vpc_config["subnetIds"][0]
        cluster.resources_vpc_config["vpcId"] = backdate.ec2_backend(acct.id).get_subnet(subnet).vpc_id
    staging = eks_backends[account("staging").id][REGION]
    staging.clusters[CLUSTER].status = "UPDATING"
    ng = staging.clusters[CLUSTER].nodegroups["application"]
    ng.health = {
        "issues": [
            {
                "code": "AsgInstanceLaunchFailures",
                "message": "Could not launch On-Demand Instances: InsufficientInstanceCapacity",
                "resourceIds": ["eks-application-asg"],
            }
        ]
    }
    ng.status = "DEGRADED"


def backdate_estate(now: datetime) -> None:
    """The service roles, clusters, databases, buckets, log groups and flow logs were created long before
    today (and before their metrics and events); the stopped database stopped STOPPED_AGO."""
    from moto.rds.models import rds_backends

    for acct in ACCOUNTS:
        backdate.eks_cluster(acct.id, CLUSTER, now - CLUSTER_AGE, NODEGROUPS_AFTER)
        for identifier in rds_backends[acct.id][REGION].databases:
            backdate.db_instance(acct.id, identifier, now - DB_AGE)
        backdate.buckets(acct.id, now - BUCKET_AGE)
        backdate.log_groups(acct.id, now - LOG_GROUP_AGE)
        backdate.flow_logs(acct.id, now - LOG_GROUP_AGE)
        for role in SERVICE_ROLES:
            backdate.iam_role(acct.id, role, now - SERVICE_ROLE_AGE)
    stopped = now - STOPPED_AGO
    backdate.db_stopped(
        account(RDS_STOPPED[0]).id, RDS_STOPPED[1], stopped, stopped - LAST_BACKUP_BEFORE_STOP
    )


def seed_apigateway(client: Any, now: datetime, bad: bool) -> None:
    client("apigateway").create_rest_api(name=API, description="the guide's API")
    cw = client("cloudwatch")
    dims = {"ApiName": API}
    put_series(cw, "AWS/ApiGateway", "Count", dims, now, lambda _: 1200, unit="Count")
    put_series(cw, "AWS/ApiGateway", "5XXError", dims, now, lambda _: 96 if bad else 2, unit="Count")
    put_series(
        cw, "AWS/ApiGateway", "Latency", dims, now, lambda _: 1800 if bad else 120, unit="Milliseconds"
    )


def seed_logs(client: Any, acct: SandboxAccount, now: datetime, bad: bool) -> None:
    """The EKS control plane's and the Lambda function's logs, and the default VPC's flow log."""
    ts = int((now - timedelta(minutes=20)).timestamp() * 1000)
    healthy = ["GET /healthz 200", "request served in 12ms", "reconciled 4 objects"]
    errors = [
        "ERROR failed to connect to my-database: connection timed out after 5000ms",
        "ERROR failed to connect to my-database: connection timed out after 5000ms",
        "java.lang.NullPointerException at com.mycompany.api.Handler.handle(Handler.java:42)",
        "ERROR upstream returned 503 for request 9f8e7d6c5b4a",
    ]
    logs = client("logs")
    write_log(logs, f"/aws/eks/{CLUSTER}/cluster", "sandbox", healthy + (errors if bad else []), ts)
    seed_function(client, acct)
    write_log(logs, f"/aws/lambda/{FUNCTION}", "sandbox", healthy + (errors[:2] if bad else []), ts)
    seed_flow_log(client, acct, ts, rejects=250 if bad else 3)


def write_log(logs: Any, group: str, stream: str, lines: list[str], ts: int, new_group: bool = True) -> None:
    if new_group:
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": ts + i, "message": m} for i, m in enumerate(lines)]
    for i in range(0, len(events), 1000):
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i : i + 1000])


def seed_function(client: Any, acct: SandboxAccount) -> None:
    """The function writing `/aws/lambda/FUNCTION` (created, never invoked: moto would need docker)."""
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return {'ok': True}\n")
    client("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role_arn(acct, "my-function-role"),
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )


def seed_flow_log(client: Any, acct: SandboxAccount, ts: int, rejects: int) -> None:
    """The default VPC's flow log into FLOW_LOGS, its records (default format) on the database's ENI:
    `rejects` connections refused from outside, 20 accepted from the EKS control plane's ENI."""
    ec2 = client("ec2")
    vpc, _ = network(client)
    client("logs").create_log_group(logGroupName=FLOW_LOGS)  # AWS delivers only into a group that exists
    ec2.create_flow_logs(
        ResourceType="VPC",
        ResourceIds=[vpc],
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=FLOW_LOGS,
        DeliverLogsPermissionArn=role_arn(acct, "vpc-flow-logs"),
    )
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"]
    db = next(n for n in enis if n.get("Description") == "RDSNetworkInterface")
    eks = next(n for n in enis if n.get("Description") == f"Amazon EKS {CLUSTER}")
    eni, dst = db["NetworkInterfaceId"], db["PrivateIpAddress"]
    end = ts // 1000
    window = f"{end - 60} {end}"
    lines = [
        f"2 {acct.id} {eni} 203.0.113.{i % 250 + 1} {dst} {40000 + i} 5432 6 1 40 {window} REJECT OK"
        for i in range(rejects)
    ]
    lines += [
        f"2 {acct.id} {eni} {eks['PrivateIpAddress']} {dst} {50000 + i} 5432 6 10 4000 {window} ACCEPT OK"
        for i in range(20)
    ]
    write_log(client("logs"), FLOW_LOGS, f"{eni}-all", lines, ts, new_group=False)


def seed_anomalies(data: SandboxData, acct: SandboxAccount, now: datetime) -> None:
    day = (now - timedelta(hours=12)).date().isoformat()
    impact = {"prod": 452.17, "dev": 3.4}.get(acct.name)
    if impact is None:
        return
    data.anomalies[acct.id] = [
        {
            "AnomalyId": f"anomaly-{acct.name}-ec2",
            "AnomalyStartDate": day,
            "AnomalyEndDate": day,
            "DimensionValue": "Amazon Elastic Compute Cloud - Compute",
            "RootCauses": [{"Service": "Amazon Elastic Compute Cloud - Compute", "Region": REGION}],
            "AnomalyScore": {"MaxScore": 0.93, "CurrentScore": 0.88},
            "Impact": {"MaxImpact": impact / 2, "TotalImpact": impact},
            "MonitorArn": f"arn:aws:ce::{acct.id}:anomalymonitor/sandbox",
        }
    ]
