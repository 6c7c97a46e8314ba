"""Every name the seeded estate points at exists, read through real boto3 as on AWS: the instance a
GuardDuty finding is about, the Lambda function behind a `/aws/lambda/` log group, the flow log delivering
to a flow-log group and the ENIs its records name, Config's delivery bucket, and the IAM roles named by
replication, EKS, Config, Lambda and flow logs (trusting their service, created before what uses them)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import botocore.exceptions
import pytest

from opsbook.collect.aws.logs import group_kind
from opsbook.sandbox.aws.seed import clients_for
from opsbook.sandbox.estate import ACCOUNTS

from .test_seed_consistency import not_before, stamp

INSTANCE_ID = re.compile(r"\bi-[0-9a-f]{6,17}\b")


class Refs:
    """An account's clients and the problems found while resolving its references."""

    def __init__(self, endpoint: str, acct: Any) -> None:
        self.acct = acct
        self.client = clients_for(endpoint, acct)
        self.problems: list[str] = []

    def missing(self, what: str, ref: str) -> None:
        self.problems.append(f"{self.acct.name} {what} refers to {ref}, which does not exist")

    def role(self, arn: str, service: str, used_at: datetime | None, what: str) -> None:
        """`arn` is a role of this account trusting `service`, created before `used_at`."""
        name = arn.rsplit("/", 1)[-1]
        try:
            role = self.client("iam").get_role(RoleName=name)["Role"]
        except botocore.exceptions.ClientError:
            return self.missing(what, arn)
        if role["Arn"] != arn:
            self.problems.append(f"{self.acct.name} {what} names {arn}, the role is {role['Arn']}")
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        principals = [
            s.get("Principal", {}).get("Service") for s in trust["Statement"] if s.get("Effect") == "Allow"
        ]
        trusted = {p for ps in principals for p in ([ps] if isinstance(ps, str) else ps or [])}
        if service not in trusted:
            self.problems.append(f"{self.acct.name} role {name} ({what}) trusts {trusted}, not {service}")
        if used_at is not None:
            not_before(
                used_at, role["CreateDate"], f"{self.acct.name} {what} using role {name}", self.problems
            )


@pytest.fixture()
def refs(sandbox: Any) -> list[Refs]:
    return [Refs(sandbox.aws_url, a) for a in ACCOUNTS]


def test_guardduty_findings_name_real_instances(refs: list[Refs]) -> None:
    seen = 0
    problems: list[str] = []
    for r in refs:
        gd, ec2 = r.client("guardduty"), r.client("ec2")
        instances = {
            i["InstanceId"]: i for res in ec2.describe_instances()["Reservations"] for i in res["Instances"]
        }
        for detector in gd.list_detectors()["DetectorIds"]:
            ids = gd.list_findings(DetectorId=detector, MaxResults=50)["FindingIds"]
            for f in gd.get_findings(DetectorId=detector, FindingIds=ids)["Findings"] if ids else []:
                named = set(INSTANCE_ID.findall(json.dumps(f, default=str)))
                detail = (f.get("Resource") or {}).get("InstanceDetails") or {}
                if f["Resource"]["ResourceType"] == "Instance" and not detail.get("InstanceId"):
                    problems.append(f"{r.acct.name} finding {f['Id']} names no instance in its resource")
                for instance in named:
                    seen += 1
                    if instance not in instances:
                        r.missing(f"GuardDuty finding {f['Id']}", instance)
                        continue
                    launched = instances[instance]["LaunchTime"]
                    not_before(stamp(f["CreatedAt"]), launched, f"{r.acct.name} finding {f['Id']}", problems)
        problems += r.problems
    assert seen, "no GuardDuty finding names an instance"
    assert not problems, "\n".join(problems)


def test_log_groups_have_what_writes_them(refs: list[Refs]) -> None:
    """A `/aws/lambda/<name>` group has its function; a flow-log group a flow log delivering to it, whose
    records name ENIs that flow log covers, in the account that owns them."""
    problems: list[str] = []
    flow_seen = lambda_seen = 0
    for r in refs:
        logs, ec2 = r.client("logs"), r.client("ec2")
        enis = {n["NetworkInterfaceId"]: n for n in ec2.describe_network_interfaces()["NetworkInterfaces"]}
        for group in logs.describe_log_groups()["logGroups"]:
            name, kind = group["logGroupName"], group_kind(group["logGroupName"])
            if kind == "lambda":
                lambda_seen += 1
                function = name.removeprefix("/aws/lambda/")
                try:
                    config = r.client("lambda").get_function(FunctionName=function)["Configuration"]
                except botocore.exceptions.ClientError:
                    r.missing(f"log group {name}", f"function {function}")
                    continue
                r.role(
                    config["Role"],
                    "lambda.amazonaws.com",
                    stamp(config["LastModified"]),
                    f"function {function}",
                )
            elif kind == "vpc-flow":
                flow_seen += 1
                flows = ec2.describe_flow_logs(Filters=[{"Name": "log-group-name", "Values": [name]}])[
                    "FlowLogs"
                ]
                if not flows:
                    r.missing(f"log group {name}", "a flow log delivering to it")
                    continue
                covered: set[str] = set()
                for fl in flows:
                    if fl["DeliverLogsStatus"] != "SUCCESS":
                        problems.append(
                            f"{r.acct.name} flow log {fl['FlowLogId']} delivers {fl['DeliverLogsStatus']}"
                        )
                    r.role(fl["DeliverLogsPermissionArn"], "vpc-flow-logs.amazonaws.com", fl["CreationTime"],
                           f"flow log {fl['FlowLogId']}")  # fmt: skip
                    covered |= {
                        i for i, n in enis.items() if fl["ResourceId"] in (n["VpcId"], n["SubnetId"], i)
                    }
                    not_before(
                        fl["CreationTime"], stamp(group["creationTime"]), f"{name}'s flow log", problems
                    )
                for event in logs.filter_log_events(logGroupName=name)["events"]:
                    fields = event["message"].split()
                    if fields[1] != r.acct.id:
                        problems.append(
                            f"{r.acct.name} {name} record of account {fields[1]}: {event['message']}"
                        )
                    if fields[2] not in enis:
                        r.missing(f"{name} record", fields[2])
                    elif fields[2] not in covered:
                        problems.append(f"{r.acct.name} {name} records {fields[2]}, no flow log covers it")
        problems += r.problems
    assert lambda_seen and flow_seen, "no Lambda or VPC flow log groups seeded"
    assert not problems, "\n".join(sorted(set(problems)))


def test_config_delivers_to_a_real_bucket_through_a_real_role(refs: list[Refs]) -> None:
    problems: list[str] = []
    for r in refs:
        cfg, s3 = r.client("config"), r.client("s3")
        buckets = {b["Name"]: b["CreationDate"] for b in s3.list_buckets()["Buckets"]}
        statuses = {
            s["name"]: s for s in cfg.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
        }
        started = [s["lastStartTime"] for s in statuses.values() if s.get("lastStartTime")]
        for channel in cfg.describe_delivery_channels()["DeliveryChannels"]:
            bucket = channel["s3BucketName"]
            if bucket not in buckets:
                r.missing(f"Config delivery channel {channel['name']}", f"bucket {bucket}")
            elif started:
                not_before(
                    min(started), buckets[bucket], f"{r.acct.name} Config delivering to {bucket}", problems
                )
        for rec in cfg.describe_configuration_recorders()["ConfigurationRecorders"]:
            when = statuses.get(rec["name"], {}).get("lastStartTime")
            r.role(rec["roleARN"], "config.amazonaws.com", when, f"Config recorder {rec['name']}")
        problems += r.problems
    assert not problems, "\n".join(problems)


def test_roles_named_by_replication_and_eks_exist(refs: list[Refs]) -> None:
    problems: list[str] = []
    replicated = 0
    for r in refs:
        s3, eks = r.client("s3"), r.client("eks")
        buckets = {b["Name"]: b["CreationDate"] for b in s3.list_buckets()["Buckets"]}
        for bucket, created in buckets.items():
            try:
                rep = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
            except botocore.exceptions.ClientError:
                continue
            replicated += 1
            r.role(rep["Role"], "s3.amazonaws.com", created, f"replication of {bucket}")
        for name in eks.list_clusters()["clusters"]:
            cluster = eks.describe_cluster(name=name)["cluster"]
            r.role(cluster["roleArn"], "eks.amazonaws.com", cluster["createdAt"], f"EKS cluster {name}")
            for ng_name in eks.list_nodegroups(clusterName=name)["nodegroups"]:
                ng = eks.describe_nodegroup(clusterName=name, nodegroupName=ng_name)["nodegroup"]
                r.role(ng["nodeRole"], "ec2.amazonaws.com", ng["createdAt"], f"node group {name}/{ng_name}")
        problems += r.problems
    assert replicated, "no replicated bucket seeded"
    assert not problems, "\n".join(problems)
