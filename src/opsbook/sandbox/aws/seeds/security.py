"""The weekly security review and the monthly security audit, seeded so that each check passes and fails.

| check                          | passes                                     | fails                                        |
|--------------------------------|--------------------------------------------|----------------------------------------------|
| guardduty.findings             | dev: one old low finding                   | prod: high SSH brute force; staging: GuardDuty off |
| config.noncompliant_rules      | s3-bucket-versioning-enabled everywhere    | prod restricted-ssh; staging recorder stopped|
| iam.unused_services            | dev role app-deploy uses its services      | prod role legacy-admin: ec2, iam unused      |
| ec2.unused_security_groups     | app-sg on a network interface (each acct); | prod legacy-sg on nothing                    |
|                                | prod jobs-sg: on no interface, but app-sg's|                                              |
|                                | ingress tcp 8080 names it (AWS won't delete)|                                             |
| secretsmanager.secret_hygiene  | my-app/db-password (dev, staging)          | prod my-app/api-key: unused, no rotation     |
| secretsmanager.rotation_due    | dev/staging my-app/db-password             | prod my-app/db-password: rotation overdue    |
| iam.overprivileged             | dev role app-deploy, policy app-deploy-s3  | prod legacy-admin (*), ci-runner (PassRole+RunInstances), s3-everything |
| iam.console_without_mfa        | dev alice (MFA); prod carol, break-glass   | prod bob (no MFA)                            |
| iam.access_key_age             | dev alice's key                            | prod bob's 200-day-old key (+ carol's, users.py) |
| acm.certificate_expiry         | dev app.example.com (200 days)             | prod api.example.com (10 days)               |

Through moto's APIs: detectors, recorders, rules, security groups, network interfaces, secrets, IAM
roles/users/policies/MFA/keys, imported certificates. Served by `sandbox/aws/services/`: GuardDuty
findings, Config compliance, access advisor, secrets' LastAccessedDate. Poked into moto's backends in
`finish()` (its APIs stamp them "now", sandbox/aws/backdate.py): users, roles and secrets created
CREATED_AGO (before anything they did), access key creation dates and secrets' rotation dates, GuardDuty
detectors enabled DETECTOR_AGE (before their findings).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.aws import backdate
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.seed import role_arn
from opsbook.sandbox.estate import REGION, SandboxAccount

_POKES: list[tuple[str, Any]] = []  # filled per account, applied once in finish(), in order
CREATED_AGO = timedelta(days=400)  # users, roles and secrets: older than their use, keys and rotations
DETECTOR_AGE = timedelta(days=365)  # GuardDuty enabled before its oldest finding (archived)
ARCHIVED_FINDING_AGE = timedelta(days=60)  # after the instance it is about launched (reviews.INSTANCE_AGE)
RECORDER_AGO = timedelta(days=365)  # AWS Config recording since
RECORDER_STOPPED_AGO = timedelta(days=5)  # staging's recorder stopped (config.noncompliant_rules fails it)


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    seed_guardduty(client, acct, now, data)
    legacy = seed_security_groups(client, acct)
    seed_config(client, acct, now, data, legacy)
    seed_secrets(client, acct, now, data)
    seed_iam(client, acct, now, data)
    seed_certificates(client, acct, now)


def gd_finding(
    acct: SandboxAccount, fid: str, ftype: str, severity: float, title: str, created: datetime, **kw: Any
) -> dict[str, Any]:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "id": fid,
        "type": ftype,
        "severity": severity,
        "title": title,
        "description": title,
        "accountId": acct.id,
        "arn": f"arn:aws:guardduty:{REGION}:{acct.id}:detector/sandbox/finding/{fid}",
        "region": REGION,
        "partition": "aws",
        "schemaVersion": "2.0",
        "createdAt": stamp,
        "updatedAt": kw.get("updated", created).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "resource": {"resourceType": kw.get("resource_type", "Instance")} | kw.get("resource", {}),
        "service": {
            "serviceName": "guardduty",
            "archived": kw.get("archived", False),
            "count": kw.get("count", 1),
        },
    }


def seed_guardduty(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    if acct.name == "staging":
        return  # GuardDuty never enabled here: the check reports it as its own finding
    detector = client("guardduty").create_detector(Enable=True, FindingPublishingFrequency="SIX_HOURS")
    _POKES.append(("detector", (acct.id, detector["DetectorId"], now - DETECTOR_AGE)))
    web = target_instance(client)
    findings = [
        gd_finding(
            acct,
            f"{acct.name}-recon",
            "Recon:EC2/PortProbeUnprotectedPort",
            2.0,
            "Unprotected port on EC2 instance is being probed",
            now - timedelta(days=20),
            resource=web,
        )
    ]
    if acct.name == "prod":
        findings += [
            gd_finding(
                acct,
                "prod-ssh-brute",
                "UnauthorizedAccess:EC2/SSHBruteForce",
                8.0,
                f"SSH brute force attacks against {web['instanceDetails']['instanceId']}",
                now - timedelta(days=2),
                count=57,
                resource=web,
            ),
            gd_finding(
                acct,
                "prod-s3-public",
                "Policy:S3/BucketBlockPublicAccessDisabled",
                5.0,
                "Block public access disabled for bucket my-bucket-prod",
                now - timedelta(days=30),
                updated=now - timedelta(days=3),
                resource_type="S3Bucket",
            ),
            gd_finding(
                acct,
                "prod-archived",
                "Backdoor:EC2/C&CActivity.B",
                8.0,
                "archived long ago",
                now - ARCHIVED_FINDING_AGE,
                archived=True,
                resource=web,
            ),
        ]
    data.extra.setdefault("guardduty", {})[acct.id] = findings


def target_instance(client: Any) -> dict[str, Any]:
    """The `web` instance (seeds/reviews.py, seeded before this module), as a finding's resource names it."""
    ec2 = client("ec2")
    found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web"]}])["Reservations"]
    inst = found[0]["Instances"][0]
    return {
        "instanceDetails": {
            "instanceId": inst["InstanceId"],
            "instanceType": inst["InstanceType"],
            "imageId": inst["ImageId"],
            "availabilityZone": inst["Placement"]["AvailabilityZone"],
            "tags": [{"key": t["Key"], "value": t["Value"]} for t in inst.get("Tags", [])],
        }
    }


def seed_config(
    client: Any, acct: SandboxAccount, now: datetime, data: SandboxData, legacy: str | None
) -> None:
    """Recording since RECORDER_AGO; staging's recorder stopped RECORDER_STOPPED_AGO (its own finding).
    prod's restricted-ssh names the group that opens port 22 to the world (legacy-sg)."""
    cfg = client("config")
    bucket = f"config-bucket-{acct.id}"
    client("s3").create_bucket(Bucket=bucket)  # dated with every bucket (seed.BUCKET_AGE), before recording
    cfg.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": role_arn(acct, "aws-config"),  # seed.SERVICE_ROLES
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    stopped = None
    if acct.name == "staging":  # staging's recorder is stopped: its own finding
        cfg.stop_configuration_recorder(ConfigurationRecorderName="default")
        stopped = now - RECORDER_STOPPED_AGO
    _POKES.append(("recorder", (acct.id, "default", now - RECORDER_AGO, stopped)))
    rules = {
        "s3-bucket-versioning-enabled": "S3_BUCKET_VERSIONING_ENABLED",
        "restricted-ssh": "INCOMING_SSH_DISABLED",
    }
    for name, ident in rules.items():
        cfg.put_config_rule(
            ConfigRule={"ConfigRuleName": name, "Source": {"Owner": "AWS", "SourceIdentifier": ident}}
        )
    bad = [("AWS::EC2::SecurityGroup", legacy, "Port 22 is open to 0.0.0.0/0")] if legacy else []
    data.extra.setdefault("config", {})[acct.id] = {"s3-bucket-versioning-enabled": [], "restricted-ssh": bad}


def seed_security_groups(client: Any, acct: SandboxAccount) -> str | None:
    """app-sg in use everywhere; in prod legacy-sg (SSH open to the world, on nothing: its id is returned)
    and jobs-sg, in use only through app-sg's rule."""
    ec2 = client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    used = ec2.create_security_group(GroupName="app-sg", Description="my-api pods", VpcId=vpc)["GroupId"]
    ec2.create_network_interface(SubnetId=subnet, Groups=[used], Description="my-api")
    if acct.name != "prod":
        return None
    legacy = ec2.create_security_group(
        GroupName="legacy-sg", Description="left behind by a removed service", VpcId=vpc
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=legacy,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    # in use only through another group's rule: the check passes it, the sandbox refuses its delete
    jobs = ec2.create_security_group(GroupName="jobs-sg", Description="batch jobs calling my-api", VpcId=vpc)
    ec2.authorize_security_group_ingress(
        GroupId=used,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "UserIdGroupPairs": [{"GroupId": jobs["GroupId"]}],
            }
        ],
    )
    return str(legacy)


def seed_secrets(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    sm = client("secretsmanager")
    accessed = data.extra.setdefault("secretsmanager", {}).setdefault(acct.id, {})
    sm.create_secret(Name="my-app/db-password", SecretString="sandbox-not-a-secret")
    _POKES.append(("secret", (acct.id, "my-app/db-password", now - CREATED_AGO)))
    accessed["my-app/db-password"] = now - timedelta(days=1)
    rotated_days = 45 if acct.name == "prod" else 10
    _POKES.append(("rotation", (acct.id, "my-app/db-password", now - timedelta(days=rotated_days), 30)))
    if acct.name == "prod":
        sm.create_secret(Name="my-app/api-key", SecretString="sandbox-not-a-secret")
        _POKES.append(("secret", (acct.id, "my-app/api-key", now - CREATED_AGO)))
        accessed["my-app/api-key"] = now - timedelta(days=200)


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TRUST = policy({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def seed_iam(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    iam = client("iam")
    last = data.extra.setdefault("iam", {}).setdefault(acct.id, {}).setdefault("last_accessed", {})
    arn = f"arn:aws:iam::{acct.id}"
    iam.create_role(RoleName="app-deploy", AssumeRolePolicyDocument=TRUST)
    _POKES.append(("role", (acct.id, "app-deploy", now - CREATED_AGO)))
    scoped = iam.create_policy(
        PolicyName="app-deploy-s3",
        PolicyDocument=policy(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "arn:aws:s3:::my-bucket-*/*",
            },
            {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"},
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="app-deploy", PolicyArn=scoped)
    last[f"{arn}:role/app-deploy"] = [
        {"ServiceNamespace": "s3", "ServiceName": "Amazon S3", "LastAuthenticated": now - timedelta(days=3)},
        {
            "ServiceNamespace": "cloudwatch",
            "ServiceName": "Amazon CloudWatch",
            "LastAuthenticated": now - timedelta(days=1),
        },
    ]
    user = "alice" if acct.name != "prod" else "bob"
    iam.create_user(UserName=user)
    _POKES.append(("user", (acct.id, user, now - CREATED_AGO)))
    iam.create_login_profile(UserName=user, Password="Sandbox-not-a-secret-1")
    iam.create_access_key(UserName=user)
    if acct.name != "prod":
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=user, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
        return
    _POKES.append(("key_age", (acct.id, user, now - timedelta(days=200))))
    iam.create_role(RoleName="legacy-admin", AssumeRolePolicyDocument=TRUST)
    _POKES.append(("role", (acct.id, "legacy-admin", now - CREATED_AGO)))
    iam.put_role_policy(
        RoleName="legacy-admin",
        PolicyName="admin",
        PolicyDocument=policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )
    last[f"{arn}:role/legacy-admin"] = [
        {"ServiceNamespace": "s3", "ServiceName": "Amazon S3", "LastAuthenticated": now - timedelta(days=2)},
        {"ServiceNamespace": "ec2", "ServiceName": "Amazon EC2", "LastAuthenticated": None},
        {
            "ServiceNamespace": "iam",
            "ServiceName": "AWS Identity and Access Management",
            "LastAuthenticated": now - timedelta(days=200),
        },
    ]
    iam.create_role(RoleName="ci-runner", AssumeRolePolicyDocument=TRUST)
    _POKES.append(("role", (acct.id, "ci-runner", now - CREATED_AGO)))
    iam.put_role_policy(
        RoleName="ci-runner",
        PolicyName="launch",
        PolicyDocument=policy(
            {
                "Effect": "Allow",
                "Action": ["iam:PassRole", "ec2:RunInstances", "ec2:Describe*"],
                "Resource": "*",
            }
        ),
    )
    iam.create_policy(
        PolicyName="s3-everything",
        PolicyDocument=policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    )


def self_signed(domain: str, not_before: datetime, not_after: datetime) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def seed_certificates(client: Any, acct: SandboxAccount, now: datetime) -> None:
    if acct.name == "staging":
        return
    domain, days = ("api.example.com", 10) if acct.name == "prod" else ("app.example.com", 200)
    cert, key = self_signed(domain, now - timedelta(days=355), now + timedelta(days=days))
    client("acm").import_certificate(Certificate=cert, PrivateKey=key)


def finish(now: datetime, data: SandboxData) -> None:
    """Dates moto's APIs always stamp "now": set on its in-process backend objects."""
    from moto.secretsmanager.models import secretsmanager_backends

    simple: dict[str, Callable[..., None]] = {
        "user": backdate.iam_user,
        "role": backdate.iam_role,
        "key_age": backdate.iam_access_keys,
        "secret": backdate.secret,
        "detector": backdate.guardduty_detector,
        "recorder": backdate.config_recorder,
    }
    for kind, args in _POKES:
        if kind in simple:
            simple[kind](*args)
        elif kind == "rotation":
            acct_id, name, rotated, days = args
            secret: Any = secretsmanager_backends[acct_id][REGION].secrets[name]
            secret.rotation_requested = secret.rotation_enabled = True
            secret.rotation_lambda_arn = f"arn:aws:lambda:{REGION}:{acct_id}:function:rotate-secret"
            secret.auto_rotate_after_days = days
            secret.last_rotation_date = secret.last_changed_date = int(rotated.timestamp())
            secret.next_rotation_date = int((rotated + timedelta(days=days)).timestamp())
    _POKES.clear()
