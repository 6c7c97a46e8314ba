"""Pure tests of the first-of-month security audit checks."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.aws.iam import parse_credential_report, parse_details
from opsbook.collect.aws.security_models import (
    AuthorizationDetails,
    Certificate,
    CredentialReportRow,
    Principal,
    Secret,
)
from opsbook.core.models import Severity, Status
from tests.checks.helpers import NOW, by_status, run_check


def role(name: str, *statements: dict[str, object], path: str = "/") -> Principal:
    return Principal(
        kind="role",
        name=name,
        arn=f"arn:aws:iam::1:role/{name}",
        path=path,
        documents=[("inline:p", {"Statement": list(statements)})],
    )


def test_overprivileged_severity_by_kind_and_ignore_list() -> None:
    details = AuthorizationDetails(
        roles=[
            role("admin", {"Effect": "Allow", "Action": "*", "Resource": "*"}),
            role(
                "escalate",
                {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"},
            ),
            role("wild", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
            role("fine", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
            role("OrganizationAccountAccessRole", {"Effect": "Allow", "Action": "*", "Resource": "*"}),
            role(
                "AWSServiceRoleForX",
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                path="/aws-service-role/x/",
            ),
        ]
    )
    s = by_status(run_check("iam.overprivileged", {"iam.authorization_details": details}))
    sev = {f.resource.name: f.severity for f in s[Status.FAIL] if f.resource}
    assert sev == {"admin": Severity.CRITICAL, "escalate": Severity.HIGH, "wild": Severity.MEDIUM}
    assert [f.resource.name for f in s[Status.PASS] if f.resource] == ["fine"]
    assert run_check("iam.overprivileged", {"iam.authorization_details": None}) == []
    only = run_check(
        "iam.overprivileged", {"iam.authorization_details": details}, {"ignore": ["admin", "wild"]}
    )
    assert {f.resource.name for f in only if f.status is Status.FAIL and f.resource} == {
        "escalate",
        "OrganizationAccountAccessRole",
    }


def test_parse_authorization_details_resolves_managed_group_and_inline_documents() -> None:
    admin = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    raw = {
        "Policies": [
            {
                "PolicyName": "Local",
                "Arn": "arn:aws:iam::1:policy/Local",
                "PolicyVersionList": [
                    {"IsDefaultVersion": False, "Document": {}},
                    {"IsDefaultVersion": True, "Document": admin},
                ],
            },
            {
                "PolicyName": "AdministratorAccess",
                "Arn": "arn:aws:iam::aws:policy/AdministratorAccess",
                "PolicyVersionList": [
                    {"IsDefaultVersion": True, "Document": "%7B%22Statement%22%3A%5B%5D%7D"}
                ],
            },
        ],
        "GroupDetailList": [
            {
                "GroupName": "ops",
                "GroupPolicyList": [{"PolicyName": "g", "PolicyDocument": admin}],
                "AttachedManagedPolicies": [
                    {
                        "PolicyName": "AdministratorAccess",
                        "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
                    }
                ],
            }
        ],
        "UserDetailList": [
            {"UserName": "u", "Arn": "arn:aws:iam::1:user/u", "GroupList": ["ops"], "UserPolicyList": []}
        ],
        "RoleDetailList": [
            {
                "RoleName": "r",
                "Arn": "arn:aws:iam::1:role/r",
                "RolePolicyList": [{"PolicyName": "i", "PolicyDocument": admin}],
                "AttachedManagedPolicies": [
                    {"PolicyName": "Local", "PolicyArn": "arn:aws:iam::1:policy/Local"}
                ],
            }
        ],
    }
    d = parse_details(raw)
    assert [s for s, _ in d.roles[0].documents] == ["inline:i", "managed:Local"]
    assert d.roles[0].documents[1][1] == admin
    assert [s for s, _ in d.users[0].documents] == [
        "group:ops:inline:g",
        "group:ops:managed:AdministratorAccess",
    ]
    assert d.users[0].documents[1][1] == {"Statement": []}  # URL-encoded JSON decoded
    assert [p.name for p in d.policies] == ["Local"]  # AWS-managed policies are not reported on their own


REPORT = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,"
    "access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
    "<root_account>,arn:aws:iam::1:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    "alice,arn:aws:iam::1:user/alice,2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,true,true,2026-11-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    "bob,arn:aws:iam::1:user/bob,2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,true,2026-01-01T00:00:00+00:00,N/A,N/A,N/A,false,2025-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n"
    "robot,arn:aws:iam::1:user/robot,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-11-20T00:00:00+00:00,N/A,N/A,N/A,true,2025-06-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n"
)


def test_console_without_mfa_from_the_credential_report() -> None:
    rows = parse_credential_report(REPORT.encode())
    s = by_status(run_check("iam.console_without_mfa", {"iam.credential_report": rows}))
    assert [f.resource.name for f in s[Status.FAIL] if f.resource] == ["bob"]
    assert {f.resource.name for f in s[Status.PASS] if f.resource} == {"<root_account>", "alice"}
    assert run_check("iam.console_without_mfa", {"iam.credential_report": None}) == []


def test_access_key_age_per_active_key() -> None:
    rows = parse_credential_report(REPORT)
    s = by_status(run_check("iam.access_key_age", {"iam.credential_report": rows}))
    assert sorted(f.resource.name for f in s[Status.FAIL] if f.resource) == ["bob key 1", "robot key 2"]
    assert sorted(f.resource.name for f in s[Status.PASS] if f.resource) == ["alice key 1", "robot key 1"]
    row = CredentialReportRow(
        user="x",
        arn="arn:x",
        password_enabled=False,
        mfa_active=False,
        keys=[(1, False, NOW - timedelta(days=999))],
    )
    assert (
        run_check("iam.access_key_age", {"iam.credential_report": [row]}) == []
    )  # inactive keys are not judged


def cert(domain: str, days: float | None, **kw: object) -> Certificate:
    return Certificate(
        arn=f"arn:acm:{domain}",
        domain=domain,
        status=str(kw.pop("status", "ISSUED")),
        not_after=None if days is None else NOW + timedelta(days=days),
        **kw,
    )  # type: ignore[arg-type]


def test_acm_certificate_expiry_and_failed_renewal() -> None:
    certs = [
        cert("ok.example.com", 200),
        cert("soon.example.com", 12),
        cert("gone.example.com", -1, status="EXPIRED", in_use_by=["arn:elb"]),
        cert("renew.example.com", 90, renewal_status="FAILED", renewal_reason="DOMAIN_VALIDATION_DENIED"),
    ]
    s = by_status(run_check("acm.certificate_expiry", {"acm.certificates": certs}))
    fails = {f.resource.name: f for f in s[Status.FAIL] if f.resource}
    assert set(fails) == {"soon.example.com", "gone.example.com", "renew.example.com"}
    assert "expires in 12 days" in fails["soon.example.com"].message
    assert fails["gone.example.com"].severity is Severity.CRITICAL  # expired and in use
    assert "DOMAIN_VALIDATION_DENIED" in fails["renew.example.com"].message
    assert [f.resource.name for f in s[Status.PASS] if f.resource] == ["ok.example.com"]
    assert by_status(run_check("acm.certificate_expiry", {"acm.certificates": certs[1:2]}, {"days": 7}))[
        Status.PASS
    ]


def test_rotation_due() -> None:
    secrets = [
        Secret(
            arn="a",
            name="past-next",
            rotation_enabled=True,
            next_rotation=NOW - timedelta(days=3),
            rotation_days=30,
        ),
        Secret(
            arn="b",
            name="old",
            rotation_enabled=True,
            last_rotated=NOW - timedelta(days=40),
            rotation_days=30,
        ),
        Secret(
            arn="c",
            name="fine",
            rotation_enabled=True,
            last_rotated=NOW - timedelta(days=5),
            next_rotation=NOW + timedelta(days=25),
            rotation_days=30,
        ),
        Secret(arn="d", name="off"),
    ]
    s = by_status(run_check("secretsmanager.rotation_due", {"secretsmanager.secrets": secrets}))
    assert sorted(f.resource.id for f in s[Status.FAIL] if f.resource) == ["old", "past-next"]
    assert [f.resource.id for f in s[Status.PASS] if f.resource] == ["fine"]
    assert (
        run_check("secretsmanager.rotation_due", {"secretsmanager.secrets": secrets[:1]}, {"grace_days": 5})[
            0
        ].status
        is not Status.FAIL
    )
