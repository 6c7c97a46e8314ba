"""The seeded estate could exist on AWS: read through real boto3 (and the kubernetes client for the
nodes), no object is older than its parent, snapshot names match their times, versions agree, every
referenced id exists and each cluster has its own endpoint. The failures the checks exist to find are
deliberate and named in the seed (e.g. `RDS_BACKUPS_OFF`, `KUBERNETES_VERSION_SKEW`), not accidents."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import ACCOUNTS, CLUSTER, KUBERNETES_VERSION_SKEW, RELEASES
from opsbook.sandbox.runtime import EKS_ACCOUNT

SLACK = timedelta(seconds=2)  # moto stamps a parent and its child in the same call a few µs apart


@dataclass
class Account:
    name: str
    instances: dict[str, Any] = field(default_factory=dict)
    volumes: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, Any] = field(default_factory=dict)
    images: dict[str, Any] = field(default_factory=dict)
    enis: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    subnets: dict[str, Any] = field(default_factory=dict)
    vpcs: set[str] = field(default_factory=set)
    lbs: list[Any] = field(default_factory=list)
    dbs: dict[str, Any] = field(default_factory=dict)
    db_snapshots: list[Any] = field(default_factory=list)
    clusters: dict[str, Any] = field(default_factory=dict)
    nodegroups: list[Any] = field(default_factory=list)
    users: dict[str, Any] = field(default_factory=dict)
    secrets: list[Any] = field(default_factory=list)


def read_account(endpoint: str, acct: Any) -> Account:
    client = clients_for(endpoint, acct)
    ec2, rds, eks, iam = client("ec2"), client("rds"), client("eks"), client("iam")
    out = Account(acct.name)
    for r in ec2.describe_instances()["Reservations"]:
        out.instances.update({i["InstanceId"]: i for i in r["Instances"]})
    out.volumes = {v["VolumeId"]: v for v in ec2.describe_volumes()["Volumes"]}
    out.snapshots = {s["SnapshotId"]: s for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    out.images = {i["ImageId"]: i for i in ec2.describe_images(Owners=["self"])["Images"]}
    out.enis = {n["NetworkInterfaceId"]: n for n in ec2.describe_network_interfaces()["NetworkInterfaces"]}
    out.groups = {g["GroupId"]: g for g in ec2.describe_security_groups()["SecurityGroups"]}
    out.subnets = {s["SubnetId"]: s for s in ec2.describe_subnets()["Subnets"]}
    out.vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    out.lbs = client("elbv2").describe_load_balancers()["LoadBalancers"]
    out.dbs = {d["DBInstanceIdentifier"]: d for d in rds.describe_db_instances()["DBInstances"]}
    out.db_snapshots = rds.describe_db_snapshots()["DBSnapshots"]
    for name in eks.list_clusters()["clusters"]:
        out.clusters[name] = eks.describe_cluster(name=name)["cluster"]
        for ng in eks.list_nodegroups(clusterName=name)["nodegroups"]:
            out.nodegroups.append(eks.describe_nodegroup(clusterName=name, nodegroupName=ng)["nodegroup"])
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
        for key in keys:
            key["LastUsed"] = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])[
                "AccessKeyLastUsed"
            ]
        user["Keys"] = keys
        user["MFA"] = iam.list_mfa_devices(UserName=name)["MFADevices"]
        out.users[name] = user
    out.secrets = client("secretsmanager").list_secrets()["SecretList"]
    return out


@pytest.fixture(scope="module")
def estate(sandbox: Any) -> list[Account]:
    return [read_account(sandbox.aws_url, a) for a in ACCOUNTS]


@pytest.fixture(scope="module")
def kube(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The kubernetes client for the cluster the fake API serves (prod's EKS `my-cluster`)."""
    from kubernetes import client, config

    from opsbook.sandbox.k8s import write_kubeconfig

    path: Path = tmp_path_factory.mktemp("kube") / "kubeconfig"
    write_kubeconfig(path, sandbox.kube_url, sandbox.kube_token, CLUSTER, ca_pem=sandbox.kube.ca_pem)
    api = config.new_client_from_config(str(path), context=CLUSTER)
    yield client.CoreV1Api(api), client.VersionApi(api)
    api.close()


def not_before(child: datetime, parent: datetime, what: str, problems: list[str]) -> None:
    if child + SLACK < parent:
        problems.append(f"{what}: {child:%Y-%m-%d %H:%M} is before {parent:%Y-%m-%d %H:%M}")


def test_no_object_is_older_than_its_parent(estate: list[Account]) -> None:
    problems: list[str] = []
    for a in estate:
        for s in a.snapshots.values():
            if s["VolumeId"] in a.volumes:
                vol = a.volumes[s["VolumeId"]]
                not_before(
                    s["StartTime"], vol["CreateTime"], f"{a.name} {s['SnapshotId']} of its volume", problems
                )
        for image in a.images.values():
            made = datetime.fromisoformat(image["CreationDate"].replace("Z", "+00:00"))
            for bdm in image.get("BlockDeviceMappings", []):
                snap = a.snapshots.get((bdm.get("Ebs") or {}).get("SnapshotId", ""))
                if snap is None:
                    continue
                gap = abs(snap["StartTime"] - made)  # CreateImage snapshots the volumes as it registers
                if gap > timedelta(hours=1):
                    problems.append(f"{a.name} {image['ImageId']}: its snapshot is {gap} away from it")
                source = re.search(r"CreateImage\((i-[0-9a-f]+)\)", snap.get("Description", ""))
                if source and source[1] in a.instances:
                    launched = a.instances[source[1]]["LaunchTime"]
                    not_before(made, launched, f"{a.name} {image['ImageId']} of {source[1]}", problems)
        for vol in a.volumes.values():
            for att in vol["Attachments"]:
                what = f"{a.name} {vol['VolumeId']} attached to {att['InstanceId']}"
                not_before(att["AttachTime"], vol["CreateTime"], what, problems)
                not_before(att["AttachTime"], a.instances[att["InstanceId"]]["LaunchTime"], what, problems)
        for eni in a.enis.values():
            att = eni.get("Attachment") or {}
            if att.get("InstanceId") in a.instances:
                launched = a.instances[att["InstanceId"]]["LaunchTime"]
                not_before(att["AttachTime"], launched, f"{a.name} {eni['NetworkInterfaceId']}", problems)
        for snap in a.db_snapshots:
            db = a.dbs.get(snap["DBInstanceIdentifier"])
            if db is not None:
                what = f"{a.name} {snap['DBSnapshotIdentifier']} of its instance"
                not_before(snap["SnapshotCreateTime"], db["InstanceCreateTime"], what, problems)
        for ng in a.nodegroups:
            cluster = a.clusters[ng["clusterName"]]
            not_before(
                ng["createdAt"], cluster["createdAt"], f"{a.name} node group {ng['nodegroupName']}", problems
            )
        for user in a.users.values():
            for key in user["Keys"]:
                what = f"{a.name} {user['UserName']}'s key {key['AccessKeyId']}"
                not_before(key["CreateDate"], user["CreateDate"], what, problems)
                if key["LastUsed"].get("LastUsedDate"):
                    not_before(
                        key["LastUsed"]["LastUsedDate"], key["CreateDate"], what + " last used", problems
                    )
            for mfa in user["MFA"]:
                not_before(
                    mfa["EnableDate"], user["CreateDate"], f"{a.name} {user['UserName']}'s MFA", problems
                )
        for secret in a.secrets:
            for stamp in ("LastAccessedDate", "LastRotatedDate", "LastChangedDate"):
                if secret.get(stamp):
                    what = f"{a.name} secret {secret['Name']} {stamp}"
                    # LastAccessedDate is a day (AWS truncates it to midnight UTC)
                    not_before(secret[stamp] + timedelta(days=1 if stamp == "LastAccessedDate" else 0),
                               secret["CreatedDate"], what, problems)  # fmt: skip
            if secret.get("LastRotatedDate") and secret.get("NextRotationDate"):
                what = f"{a.name} secret {secret['Name']} next rotation"
                not_before(secret["NextRotationDate"], secret["LastRotatedDate"], what, problems)
    assert not problems, "\n".join(problems)


def test_the_clusters_nodes_are_not_older_than_the_cluster(estate: list[Account], kube: Any) -> None:
    created = next(a for a in estate if a.name == EKS_ACCOUNT).clusters[CLUSTER]["createdAt"]
    nodes = kube[0].list_node().items
    assert nodes
    old = [n.metadata.name for n in nodes if n.metadata.creation_timestamp + SLACK < created]
    assert not old, f"nodes created before their cluster ({created}): {old}"


NAME_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:-(\d{2})-(\d{2}))?")


def test_snapshot_names_match_their_times(estate: list[Account]) -> None:
    problems = []
    for a in estate:
        for snap in a.db_snapshots:
            name, created = snap["DBSnapshotIdentifier"], snap["SnapshotCreateTime"]
            m = NAME_TIME.search(name)
            if m is None:
                continue
            stamp = created.strftime("%Y-%m-%d" + ("-%H-%M" if m[2] else ""))
            if m[0] != stamp:
                problems.append(f"{a.name} {name} was taken at {created:%Y-%m-%d %H:%M}")
    assert not problems, "\n".join(problems)


def test_automated_snapshots_only_where_backups_are_on(estate: list[Account]) -> None:
    """An instance with BackupRetentionPeriod 0 has no automated snapshots (AWS deletes them)."""
    wrong = [
        f"{a.name} {s['DBSnapshotIdentifier']}"
        for a in estate
        for s in a.db_snapshots
        if s["SnapshotType"] == "automated" and a.dbs[s["DBInstanceIdentifier"]]["BackupRetentionPeriod"] == 0
    ]
    assert not wrong, f"automated snapshots of instances with backups off: {wrong}"
    assert any(d["BackupRetentionPeriod"] == 0 for a in estate for d in a.dbs.values()), "no backups-off case"


def test_versions_agree(estate: list[Account], kube: Any) -> None:
    """EKS control plane == its node groups == the API server's /version == every kubelet, each at its minor's
    release (AMI, platform version), except the one named skew (`estate.KUBERNETES_VERSION_SKEW`)."""
    problems = []
    skewed = []
    for a in estate:
        for name, cluster in a.clusters.items():
            if cluster["platformVersion"] != RELEASES[cluster["version"]].platform:
                problems.append(
                    f"{a.name} {name} {cluster['version']} on platform {cluster['platformVersion']}"
                )
        for ng in a.nodegroups:
            cluster = a.clusters[ng["clusterName"]]
            where = f"{a.name}/{ng['nodegroupName']}"
            want = KUBERNETES_VERSION_SKEW.get(where, cluster["version"])
            if ng["version"] != want:
                problems.append(
                    f"node group {where} {ng['version']} vs {want} (cluster {cluster['version']})"
                )
            if ng["releaseVersion"] != RELEASES[ng["version"]].release:
                problems.append(f"node group {where} {ng['version']} runs AMI {ng['releaseVersion']}")
            if ng["version"] != cluster["version"]:
                skewed.append(where)
    assert skewed == list(KUBERNETES_VERSION_SKEW), skewed  # the named skew is there, and only it
    eks = next(a for a in estate if a.name == EKS_ACCOUNT).clusters[CLUSTER]["version"]
    served = kube[1].get_code()
    if (
        f"{served.major}.{served.minor}" != eks
        or served.git_version != f"v{RELEASES[eks].patch}-eks-opsbook-sandbox"
    ):
        problems.append(f"the API server says {served.git_version}, EKS says {eks}")
    for n in kube[0].list_node().items:
        group = n.metadata.labels["eks.amazonaws.com/nodegroup"]
        want = RELEASES[KUBERNETES_VERSION_SKEW.get(f"{EKS_ACCOUNT}/{group}", eks)].kubelet
        for what, have in (("kubelet", n.status.node_info.kubelet_version),
                           ("kube-proxy", n.status.node_info.kube_proxy_version)):  # fmt: skip
            if have != want:
                problems.append(f"node {n.metadata.name} runs {what} {have}, its group {want}")
    assert not problems, "\n".join(problems)


def test_node_groups_are_the_clusters_nodes(estate: list[Account], kube: Any) -> None:
    """prod's node groups (EKS) have as many nodes, of their instance type, as the fake cluster has Nodes
    labelled with the group: what `scale-nodegroup` waits for starts out true."""
    groups = {ng["nodegroupName"]: ng for ng in next(a for a in estate if a.name == EKS_ACCOUNT).nodegroups}
    nodes: dict[str, list[Any]] = {}
    for n in kube[0].list_node().items:
        nodes.setdefault(n.metadata.labels["eks.amazonaws.com/nodegroup"], []).append(n)
    assert set(nodes) == set(groups)
    for name, ng in groups.items():
        assert len(nodes[name]) == ng["scalingConfig"]["desiredSize"], name
        types = {n.metadata.labels["node.kubernetes.io/instance-type"] for n in nodes[name]}
        assert types == set(ng["instanceTypes"]), name


def test_each_cluster_has_its_own_endpoint(estate: list[Account]) -> None:
    endpoints = [c["endpoint"] for a in estate for c in a.clusters.values()]
    hosts = [re.sub(r"^https://|[:/].*$", "", e) for e in endpoints]
    assert len(set(hosts)) == len(hosts) == len(ACCOUNTS), endpoints


def test_every_referenced_id_exists(estate: list[Account]) -> None:
    problems: list[str] = []

    def exists(ref: str, known: Any, what: str) -> None:
        if ref not in known:
            problems.append(f"{what} refers to {ref}, which does not exist")

    for a in estate:
        for g in a.groups.values():
            exists(g["VpcId"], a.vpcs, f"{a.name} {g['GroupId']}")
        for s in a.subnets.values():
            exists(s["VpcId"], a.vpcs, f"{a.name} {s['SubnetId']}")
        for i in a.instances.values():
            what = f"{a.name} {i['InstanceId']}"
            exists(i["SubnetId"], a.subnets, what)
            exists(i["VpcId"], a.vpcs, what)
            groups = {g["GroupId"] for g in i["SecurityGroups"]}
            eni_groups = set()
            for n in i["NetworkInterfaces"]:
                exists(n["NetworkInterfaceId"], a.enis, what)
                eni = a.enis.get(n["NetworkInterfaceId"], {})
                eni_groups |= {g["GroupId"] for g in eni.get("Groups", [])}
                if (eni.get("Attachment") or {}).get("InstanceId") != i["InstanceId"]:
                    problems.append(f"{what} lists {n['NetworkInterfaceId']}, attached elsewhere")
            for g in groups:
                exists(g, a.groups, what)
            if not groups or groups != eni_groups:
                problems.append(f"{what} has security groups {sorted(groups)}, its ENIs {sorted(eni_groups)}")
            for bdm in i.get("BlockDeviceMappings", []):
                exists(bdm["Ebs"]["VolumeId"], a.volumes, what)
        for eni in a.enis.values():
            what = f"{a.name} {eni['NetworkInterfaceId']}"
            exists(eni["SubnetId"], a.subnets, what)
            exists(eni["VpcId"], a.vpcs, what)
            for g in eni["Groups"]:
                exists(g["GroupId"], a.groups, what)
            instance = (eni.get("Attachment") or {}).get("InstanceId")
            if instance:
                exists(instance, a.instances, what)
                listed = {
                    n["NetworkInterfaceId"]
                    for n in a.instances.get(instance, {}).get("NetworkInterfaces", [])
                }
                if eni["NetworkInterfaceId"] not in listed:
                    problems.append(f"{what} is attached to {instance}, which does not list it")
        for s in a.snapshots.values():
            exists(s["VolumeId"], a.volumes, f"{a.name} {s['SnapshotId']}")
        for image in a.images.values():
            for bdm in image.get("BlockDeviceMappings", []):
                if (bdm.get("Ebs") or {}).get("SnapshotId"):
                    exists(bdm["Ebs"]["SnapshotId"], a.snapshots, f"{a.name} {image['ImageId']}")
        for lb in a.lbs:
            what = f"{a.name} {lb['LoadBalancerName']}"
            lb_id = lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
            check_network(a, what, lb.get("SecurityGroups", []), [z["SubnetId"] for z in lb["AvailabilityZones"]],
                          lb["VpcId"], f"ELB {lb_id}", problems)  # fmt: skip
        for db in a.dbs.values():
            what = f"{a.name} {db['DBInstanceIdentifier']}"
            group = db.get("DBSubnetGroup") or {}
            check_network(a, what, [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]],
                          [s["SubnetIdentifier"] for s in group.get("Subnets", [])], group.get("VpcId", ""),
                          "RDSNetworkInterface", problems)  # fmt: skip
        for c in a.clusters.values():
            vpc = c["resourcesVpcConfig"]
            check_network(a, f"{a.name} EKS {c['name']}", vpc.get("securityGroupIds", []), vpc["subnetIds"],
                          vpc.get("vpcId", ""), f"Amazon EKS {c['name']}", problems)  # fmt: skip
        for ng in a.nodegroups:
            for s in ng["subnets"]:
                exists(s, a.subnets, f"{a.name} node group {ng['nodegroupName']}")
    assert not problems, "\n".join(problems)


def check_network(
    a: Account,
    what: str,
    groups: list[str],
    subnets: list[str],
    vpc: str,
    eni_label: str,
    problems: list[str],
) -> None:
    """A load balancer, DB instance or EKS control plane sits in subnets of its VPC behind security
    groups of that VPC, and reaches them through ENIs (described `eni_label`, as AWS describes them)."""
    if not groups or not subnets:
        problems.append(f"{what} has security groups {groups} and subnets {subnets}")
    if vpc not in a.vpcs:
        problems.append(f"{what} is in VPC {vpc!r}, which does not exist")
    for g in groups:
        if a.groups.get(g, {}).get("VpcId") != vpc:
            problems.append(f"{what}: security group {g} is not one of its VPC {vpc}")
    for s in subnets:
        if a.subnets.get(s, {}).get("VpcId") != vpc:
            problems.append(f"{what}: subnet {s} is not one of its VPC {vpc}")
    mine = [n for n in a.enis.values() if eni_label in (n.get("Description") or "")]
    if not mine:
        problems.append(f"{what} has no network interface ({eni_label!r})")
    for n in mine:
        if n["SubnetId"] not in subnets or not {g["GroupId"] for g in n["Groups"]} <= set(groups):
            problems.append(f"{what}: ENI {n['NetworkInterfaceId']} is outside its subnets or groups")


def stamp(value: Any) -> datetime:
    """A time as the APIs return it: a datetime, epoch milliseconds, or an ISO string (GuardDuty)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def test_guardduty_detectors_are_older_than_their_findings(sandbox: Any) -> None:
    problems: list[str] = []
    seen = 0
    for acct in ACCOUNTS:
        gd = clients_for(sandbox.aws_url, acct)("guardduty")
        for detector in gd.list_detectors()["DetectorIds"]:
            created = stamp(gd.get_detector(DetectorId=detector)["CreatedAt"])
            ids = gd.list_findings(DetectorId=detector, MaxResults=50)["FindingIds"]
            for f in gd.get_findings(DetectorId=detector, FindingIds=ids)["Findings"] if ids else []:
                seen += 1
                what = f"{acct.name} finding {f['Id']} of detector {detector}"
                not_before(stamp(f["CreatedAt"]), created, what, problems)
    assert seen, "no GuardDuty findings seeded"
    assert not problems, "\n".join(problems)


METRIC_OWNERS = ("BucketName", "InstanceId", "DBInstanceIdentifier", "LoadBalancer")


def test_metrics_are_not_older_than_their_resource(sandbox: Any, estate: list[Account]) -> None:
    """A bucket, instance, DB instance or load balancer exists before its first CloudWatch datapoint
    (S3 reports BucketSizeBytes/NumberOfObjects once a day for buckets that exist)."""
    problems: list[str] = []
    checked: set[str] = set()
    now = datetime.now(UTC)
    for a, acct in zip(estate, ACCOUNTS, strict=True):
        client = clients_for(sandbox.aws_url, acct)
        born: dict[tuple[str, str], datetime] = {
            ("BucketName", b["Name"]): b["CreationDate"] for b in client("s3").list_buckets()["Buckets"]
        }
        born |= {("InstanceId", i): v["LaunchTime"] for i, v in a.instances.items()}
        born |= {("DBInstanceIdentifier", d): v["InstanceCreateTime"] for d, v in a.dbs.items()}
        born |= {
            ("LoadBalancer", lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]): lb["CreatedTime"]
            for lb in a.lbs
        }
        cw = client("cloudwatch")
        metrics = {
            (m["Namespace"], m["MetricName"], tuple((d["Name"], d["Value"]) for d in m["Dimensions"])): m
            for page in cw.get_paginator("list_metrics").paginate()
            for m in page["Metrics"]
        }  # moto lists a metric once per datapoint
        for m in metrics.values():
            owners = [(d["Name"], d["Value"]) for d in m["Dimensions"] if (d["Name"], d["Value"]) in born]
            if not owners:
                continue
            points = cw.get_metric_statistics(
                Namespace=m["Namespace"], MetricName=m["MetricName"], Dimensions=m["Dimensions"],
                StartTime=now - timedelta(days=90), EndTime=now + timedelta(hours=1), Period=3600,
                Statistics=["SampleCount"],
            )["Datapoints"]  # fmt: skip
            if not points:
                continue
            first = min(p["Timestamp"] for p in points)
            for owner in owners:
                checked.add(owner[0])
                what = f"{a.name} {m['Namespace']} {m['MetricName']} of {owner[1]}"
                not_before(first, born[owner], what, problems)
    assert checked == set(METRIC_OWNERS), f"metrics of {sorted(checked)} only"
    assert not problems, "\n".join(problems)


def test_a_stopped_db_instance_backs_up_and_logs_nothing_after_it_stopped(
    sandbox: Any, estate: list[Account]
) -> None:
    """Automated backups stop with the instance (its newest automated snapshot is older than the stop,
    which RDS records as the event `DB instance stopped`), so does its log; AWS starts a stopped
    instance again after 7 days, so it was stopped less than 7 days ago."""
    problems: list[str] = []
    stopped_dbs = 0
    now = datetime.now(UTC)
    for a, acct in zip(estate, ACCOUNTS, strict=True):
        rds = clients_for(sandbox.aws_url, acct)("rds")
        for db in (d for d in a.dbs.values() if d["DBInstanceStatus"] == "stopped"):
            stopped_dbs += 1
            name = db["DBInstanceIdentifier"]
            events = rds.describe_events(SourceType="db-instance", SourceIdentifier=name, Duration=20160)
            stops = [e["Date"] for e in events["Events"] if e["Message"] == "DB instance stopped"]
            if not stops:
                problems.append(f"{a.name} {name} is stopped, with no 'DB instance stopped' event")
                continue
            stopped = max(stops)
            if now - stopped > timedelta(days=7):
                problems.append(f"{a.name} {name} stopped {stopped:%Y-%m-%d}: AWS would have started it")
            for snap in a.db_snapshots:
                if snap["DBInstanceIdentifier"] == name and snap["SnapshotType"] == "automated":
                    what = f"{a.name} stopped {name}: automated {snap['DBSnapshotIdentifier']}"
                    not_before(stopped, snap["SnapshotCreateTime"], what, problems)
            for f in rds.describe_db_log_files(DBInstanceIdentifier=name)["DescribeDBLogFiles"]:
                what = f"{a.name} stopped {name}: log {f['LogFileName']} written"
                not_before(stopped, stamp(f["LastWritten"]), what, problems)
    assert stopped_dbs, "no stopped DB instance (rds.instance_not_available's failing case)"
    assert not problems, "\n".join(problems)


def test_records_are_not_older_than_what_holds_them(sandbox: Any) -> None:
    """Log events after their stream, streams after their group; an alarm's state after the alarm;
    a certificate imported while valid, issued before it expires."""
    problems: list[str] = []
    for acct in ACCOUNTS:
        client = clients_for(sandbox.aws_url, acct)
        logs = client("logs")
        for group in logs.describe_log_groups()["logGroups"]:
            made = stamp(group["creationTime"])
            for s in logs.describe_log_streams(logGroupName=group["logGroupName"])["logStreams"]:
                what = f"{acct.name} {group['logGroupName']} stream {s['logStreamName']}"
                not_before(stamp(s["creationTime"]), made, what, problems)
                if "firstEventTimestamp" in s:
                    not_before(
                        stamp(s["firstEventTimestamp"]), stamp(s["creationTime"]), what + " event", problems
                    )
        for alarm in client("cloudwatch").describe_alarms()["MetricAlarms"]:
            what = f"{acct.name} alarm {alarm['AlarmName']} state"
            not_before(
                alarm["StateUpdatedTimestamp"], alarm["AlarmConfigurationUpdatedTimestamp"], what, problems
            )
        acm = client("acm")
        for summary in acm.list_certificates()["CertificateSummaryList"]:
            cert = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
            what = f"{acct.name} certificate {cert['DomainName']}"
            not_before(cert["NotAfter"], cert["NotBefore"], what + " expiry", problems)
            for when in ("ImportedAt", "IssuedAt", "CreatedAt"):
                if cert.get(when):
                    not_before(cert[when], cert["NotBefore"], f"{what} {when}", problems)
    assert not problems, "\n".join(problems)


def test_config_evaluations_fall_while_recording_and_name_real_resources(
    sandbox: Any, estate: list[Account]
) -> None:
    """A rule is evaluated only after a recorder started (and before it stopped, if it did); a
    non-compliant security group exists and is what the rule says (restricted-ssh: port 22 open)."""
    problems: list[str] = []
    evaluated = 0
    for a, acct in zip(estate, ACCOUNTS, strict=True):
        cfg = clients_for(sandbox.aws_url, acct)("config")
        statuses = cfg.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
        started = [s["lastStartTime"] for s in statuses if s.get("lastStartTime")]
        stopped = [s["lastStopTime"] for s in statuses if not s["recording"] and s.get("lastStopTime")]
        for rule in cfg.describe_compliance_by_config_rule()["ComplianceByConfigRules"]:
            name = rule["ConfigRuleName"]
            if rule["Compliance"]["ComplianceType"] != "INSUFFICIENT_DATA" and not started:
                problems.append(f"{a.name} rule {name} evaluated, with no recorder ever started")
            details = cfg.get_compliance_details_by_config_rule(ConfigRuleName=name)["EvaluationResults"]
            for e in details:
                evaluated += 1
                ref = e["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
                what = f"{a.name} {name} evaluation of {ref['ResourceId']}"
                if started:
                    not_before(e["ResultRecordedTime"], min(started), what, problems)
                if stopped and not any(s["recording"] for s in statuses):
                    not_before(max(stopped), e["ResultRecordedTime"], what + " (recorder stopped)", problems)
                if ref["ResourceType"] == "AWS::EC2::SecurityGroup":
                    group = a.groups.get(ref["ResourceId"])
                    ports = [p.get("FromPort") for p in (group or {}).get("IpPermissions", [])]
                    if group is None or (name == "restricted-ssh" and 22 not in ports):
                        problems.append(f"{what}: no such group, or no port 22 open on it")
    assert evaluated, "no Config evaluation seeded"
    assert not problems, "\n".join(problems)
