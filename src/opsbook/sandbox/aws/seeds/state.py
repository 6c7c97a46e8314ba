"""Terraform state: each account's `terraform-state-<account id>` bucket, holding a state object for every
component the sandbox's stacks tree (sandbox/stacks) deploys in it, which describes what the sandbox
seeded into AWS.

The bucket is made as a careful team makes one: versioning on, default encryption (SSE-S3, as the stacks'
backend `encrypt: true` writes), every public access block on, owner-enforced objects, old versions
expired after STATE_VERSIONS_KEPT days, and tags; but no policy refusing plain HTTP (`aws:SecureTransport`),
which a team would add: moto enforces bucket policies and the sandbox's endpoint is plain HTTP.

The stacks' backend locks state in the DynamoDB table LOCK_TABLE (`dynamodb_table`), seeded in every
account as Terraform needs it (hash key `LockID`, a string), and reaches the account through
`assume_role` (TERRAFORM_ROLE; moto's STS hands out credentials for any role of the account). No lock is
held; each state object has the digest item Terraform writes beside its lock (`<bucket>/<key>-md5`, the
MD5 of the state), and an earlier version (serial 1, written STATE_AGE + EARLIER before the current
serial 2), as a bucket with versioning keeps one per `terraform apply`.

Each state object sits where Atmos's backend puts it (providers/atmos/resolver.py): at
`<workspace_key_prefix>/<workspace>/terraform.tfstate`, the prefix being the base component's name and
the workspace the stack's name, or `<stack>-<component>` when the component's folder is not its own name
(`rds/reporting` -> `rds/mycompany-staging-use1-rds-reporting/terraform.tfstate`). Its `terraform_data`
inputs are read back from the live estate (EKS cluster and node groups, RDS instances, the stack's VPC,
which this module creates: the stacks' `vpc` component, CIDR and tags as the stacks say). So the stacks
plan clean where the estate matches them (every `vpc`; `eks` in dev and prod) and show drift where it
does not: staging pins `kubernetes_version` 1.32.1 (its cluster runs KUBERNETES_VERSION), and the RDS
instances keep other backup retention, deletion protection and Multi-AZ settings than the stacks ask
for (prod's backups are off: seed.RDS_BACKUPS_OFF), TAINTED marks staging's reporting database tainted
(`terraform taint`), and dev's `dns` zone drifts outside Terraform (NAME_SERVERS_NOW at LIVE_KEY, which the
component reads as a refresh would). Everything was last applied STATE_AGE ago.

`opsbook-access` (opsbook's own role in each account, `opsbook iam role`) has no counterpart in the moto
estate (an IAM role there would be one more role for the IAM checks to judge): its state is what the stacks
declare (ACCESS_PROCEDURES per stage, the policies in the component's policies/ folder), so it plans clean.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.aws import backdate
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.seed import RDS_STOPPED
from opsbook.sandbox.aws.tfstate import Map, state, terraform_data, terraform_trigger
from opsbook.sandbox.estate import (
    ACCOUNTS,
    CLUSTER,
    DATABASE,
    REGION,
    ROLE_NAME,
    TENANT,
    SandboxAccount,
    stack_tags,
)

STATE_KEY = "terraform.tfstate"  # the stacks' backend `key` (stacks/orgs/mycompany/_defaults.yaml)
ENVIRONMENT = "use1"  # the stacks' name for REGION (stacks/mixins/region/us-east-1.yaml)
STATE_AGE = timedelta(days=14)  # the last `terraform apply`: long after what it describes was created
STATE_VERSIONS_KEPT = 90  # days a replaced state version stays recoverable
EARLIER = timedelta(days=7)  # how much older than the current state version the earlier one is
LOCK_TABLE = (
    "terraform-state-lock"  # the stacks' backend `dynamodb_table` (stacks/orgs/mycompany/_defaults.yaml)
)
TERRAFORM_ROLE = "terraform"  # the role the stacks' backend assumes in each account (`assume_role`)
# the components the stacks deploy in every stage (name -> base component), and the extra ones per stage
COMPONENTS = {"vpc": "vpc", "eks": "eks", "rds": "rds", "opsbook-access": "opsbook-access"}
EXTRA_COMPONENTS = {"staging": {"rds/reporting": "rds"}, "dev": {"dns": "dns"}}
DATABASES = {"rds": DATABASE, "rds/reporting": RDS_STOPPED[1]}  # the instance each rds component is
VPC_CIDRS = {"dev": "10.10.0.0/16", "staging": "10.20.0.0/16", "prod": "10.30.0.0/16"}
VPC_ZONES = ("a", "b")  # the stacks' availability_zones: one subnet in each
# the stacks' vpc asks for NAT; the sandbox seeds no NAT gateway (its Elastic IP would be one more
# address for ec2.unassociated_addresses to judge), so the state keeps what the stacks declared
NAT_GATEWAY = True
# Plan-based drift seeded on purpose (drift.terraform_plan): a resource marked tainted in its state (as
# `terraform taint` leaves it: the next apply replaces it), and dev's DNS zone, whose name servers AWS now
# answers differently from what the state recorded (the zone was re-delegated by hand: the `dns`
# component reads AWS's answer from LIVE_KEY, see components/terraform/dns/main.tf).
TAINTED = ("staging", "rds/reporting", "db")  # stage, component, terraform_data name
ZONE = "{stage}.mycompany.example"
LIVE_KEY = "live/dns/{stack}.json"  # the stacks' vars.live_key
NAME_SERVERS = ["ns-101.awsdns-12.com", "ns-1536.awsdns-00.co.uk"]  # recorded by the last apply
# opsbook-access: the stacks' vars (catalog/opsbook-access.yaml and each stage's opsbook-access.yaml)
ACCESS_TRUST_ACCOUNT = "123456789012"  # moto's default account: where the sandbox's opsbook runs from
ACCESS_PROCEDURES = {
    "dev": ["cleanup", "backup-rds"],
    "staging": ["cleanup", "backup-rds"],
    "prod": ["backup-rds"],
}
NAME_SERVERS_NOW = ["ns-204.awsdns-25.com", "ns-1789.awsdns-31.co.uk"]  # what AWS answers today


def state_bucket(acct: SandboxAccount) -> str:
    return f"terraform-state-{acct.id}"


def stack_name(acct: SandboxAccount) -> str:
    return f"{TENANT}-{acct.name}-{ENVIRONMENT}"


def components(acct: SandboxAccount) -> dict[str, str]:
    """component -> base component, for every component the stacks deploy in the account."""
    return COMPONENTS | EXTRA_COMPONENTS.get(acct.name, {})


def state_key(acct: SandboxAccount, component: str, base: str) -> str:
    stack = stack_name(acct)
    workspace = stack if component == base else f"{stack}-{component}"
    return f"{base.replace('/', '-')}/{workspace.replace('/', '-')}/{STATE_KEY}"


def vpc_name(acct: SandboxAccount) -> str:
    return f"{TENANT}-{acct.name}-vpc"  # the stacks' `{{ .vars.tenant }}-{{ .vars.stage }}-vpc`


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    seed_vpc(client("ec2"), acct)
    s3 = client("s3")
    bucket = state_bucket(acct)
    seed_bucket(s3, acct, bucket)
    seed_lock_table(client("dynamodb"))
    for component, base in components(acct).items():
        key = state_key(acct, component, base)
        body = STATES[base](client, acct, component, f"{bucket}/{key}")
        if (acct.name, component) == TAINTED[:2]:
            taint(body, TAINTED[2])
        write_state(client, bucket, key, body)


def write_state(client: Any, bucket: str, key: str, body: dict[str, Any]) -> None:
    """A state object as two `terraform apply`s leave it: an earlier version (serial 1) and the current one
    (serial 2), with Terraform's digest item in the lock table."""
    for serial in (1, 2):  # an earlier version, then the current one
        written = json.dumps(body | {"serial": serial}, indent=2).encode()
        client("s3").put_object(Bucket=bucket, Key=key, Body=written, ContentType="application/json",
                                ServerSideEncryption="AES256")  # fmt: skip
    client("dynamodb").put_item(
        TableName=LOCK_TABLE,
        Item={"LockID": {"S": f"{bucket}/{key}-md5"}, "Digest": {"S": hashlib.md5(written).hexdigest()}},  # noqa: S324 - Terraform's digest
    )


def taint(body: dict[str, Any], name: str) -> None:
    for res in body["resources"]:
        if res["name"] == name:
            for inst in res["instances"]:
                inst["status"] = "tainted"


def seed_lock_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=LOCK_TABLE,
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def seed_vpc(ec2: Any, acct: SandboxAccount) -> None:
    cidr = VPC_CIDRS[acct.name]
    tags = [{"Key": k, "Value": v} for k, v in ({"Name": vpc_name(acct)} | stack_tags(acct.name)).items()]
    vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]
    prefix = cidr.rsplit(".", 2)[0]
    for i, zone in enumerate(VPC_ZONES):
        ec2.create_subnet(
            VpcId=vpc["VpcId"],
            CidrBlock=f"{prefix}.{16 * i}.0/20",
            AvailabilityZone=f"{REGION}{zone}",
            TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}],
        )


def seed_bucket(s3: Any, acct: SandboxAccount, bucket: str) -> None:
    s3.create_bucket(Bucket=bucket)  # dated with every bucket (seed.BUCKET_AGE)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    blocked = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict.fromkeys(blocked, True))
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-old-state-versions",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": STATE_VERSIONS_KEPT},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                }
            ]
        },
    )
    tags = stack_tags(acct.name) | {"Purpose": "terraform-state"}
    s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
    )


def vpc_state(client: Any, acct: SandboxAccount, component: str, where: str) -> dict[str, Any]:
    ec2 = client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [vpc_name(acct)]}])["Vpcs"][0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    tags = {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}
    inputs = {
        "name": tags.pop("Name"),
        "cidr_block": vpc["CidrBlock"],
        "availability_zones": sorted({s["AvailabilityZone"] for s in subnets}),
        "nat_gateway_enabled": NAT_GATEWAY,
        "region": REGION,
        "tags": Map(tags),
    }
    outputs = {"vpc_name": inputs["name"], "vpc_cidr": inputs["cidr_block"]}
    return state(where, [terraform_data("vpc", {"": inputs}, where)], outputs)


def eks_state(client: Any, acct: SandboxAccount, component: str, where: str) -> dict[str, Any]:
    eks = client("eks")
    found = eks.describe_cluster(name=CLUSTER)["cluster"]
    cluster = {
        "name": found["name"],
        "version": found["version"],
        "region": REGION,
        "tags": Map(found["tags"]),
    }
    groups: dict[str, dict[str, Any]] = {}
    for name in eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]:
        ng = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=name)["nodegroup"]
        size = ng["scalingConfig"]
        groups[name] = {
            "cluster": CLUSTER,
            "name": name,
            "instance_types": list(ng["instanceTypes"]),
            "min_size": size["minSize"],
            "desired_size": size["desiredSize"],
            "max_size": size["maxSize"],
        }
    resources = [
        terraform_data("cluster", {"": cluster}, where),
        terraform_trigger("control_plane_version", found["version"], where),
        terraform_data("node_group", groups, where),
    ]
    outputs = {
        "cluster_name": cluster["name"],
        "kubernetes_version": cluster["version"],
        "node_groups": groups,
    }
    return state(where, resources, outputs)


def rds_state(client: Any, acct: SandboxAccount, component: str, where: str) -> dict[str, Any]:
    db = client("rds").describe_db_instances(DBInstanceIdentifier=DATABASES[component])["DBInstances"][0]
    inputs = {
        "identifier": db["DBInstanceIdentifier"],
        "engine": db["Engine"],
        "instance_class": db["DBInstanceClass"],
        "allocated_storage": db["AllocatedStorage"],
        "max_allocated_storage": db.get("MaxAllocatedStorage", 0),  # the component's default: no autoscaling
        "backup_retention_period": db["BackupRetentionPeriod"],
        "deletion_protection": db["DeletionProtection"],
        "multi_az": db["MultiAZ"],
        "tags": Map({t["Key"]: t["Value"] for t in db.get("TagList", [])}),
    }
    outputs = {"identifier": inputs["identifier"], "instance_class": inputs["instance_class"]}
    return state(where, [terraform_data("db", {"": inputs}, where)], outputs)


def dns_state(client: Any, acct: SandboxAccount, component: str, where: str) -> dict[str, Any]:
    """The zone as last applied, and beside it (LIVE_KEY, no digest: not a state Terraform writes) what AWS
    answers for its name servers today."""
    zone = ZONE.format(stage=acct.name)
    live = state(where + "#live", [], {"name_servers": NAME_SERVERS_NOW})
    client("s3").put_object(Bucket=state_bucket(acct), Key=LIVE_KEY.format(stack=stack_name(acct)),
                            Body=json.dumps(live, indent=2).encode(), ContentType="application/json")  # fmt: skip
    inputs = {"name": zone, "tags": Map(stack_tags(acct.name))}
    outputs = {"zone_name": zone, "name_servers": NAME_SERVERS}
    return state(where, [terraform_data("zone", {"": inputs}, where)], outputs)


def jsonencode(value: Any) -> str:
    """As Terraform's `jsonencode` writes a decoded JSON document: compact, object keys sorted."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def access_state(client: Any, acct: SandboxAccount, component: str, where: str) -> dict[str, Any]:
    from opsbook.sandbox.stacks import sandbox_stacks_dir

    policies = sandbox_stacks_dir() / "components" / "terraform" / "opsbook-access" / "policies"

    def policy(name: str) -> str:
        return jsonencode(json.loads((policies / f"{name}.json").read_text(encoding="utf-8")))

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OpsbookAssume",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCESS_TRUST_ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = {"name": ROLE_NAME, "assume_role_policy": jsonencode(trust), "tags": Map(stack_tags(acct.name))}
    read_only = {"role": ROLE_NAME, "name": f"{ROLE_NAME}-read-only", "policy": policy("read-only")}
    granted = {
        p: {"role": ROLE_NAME, "name": f"{ROLE_NAME}-{p}", "policy": policy(p)}
        for p in ACCESS_PROCEDURES[acct.name]
    }
    resources = [  # in the order Terraform writes them: by name
        terraform_data("procedure", granted, where),
        terraform_data("read_only", {"": read_only}, where),
        terraform_data("role", {"": role}, where),
    ]
    return state(where, resources, {"role_arn": f"arn:aws:iam::{acct.id}:role/{ROLE_NAME}"})


STATES = {
    "opsbook-access": access_state,
    "vpc": vpc_state,
    "eks": eks_state,
    "rds": rds_state,
    "dns": dns_state,
}  # base component -> its state's reader


def finish(now: datetime, data: SandboxData) -> None:
    for acct in ACCOUNTS:
        backdate.s3_objects(acct.id, state_bucket(acct), now - STATE_AGE, earlier=EARLIER)
