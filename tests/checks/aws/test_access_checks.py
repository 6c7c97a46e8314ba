"""iam.inactive_users and iam.unused_roles on hand-built access inventories (no servers)."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.aws.access_models import AccessKeyUse, IamAccess, IamRoleAccess, IamUserAccess
from opsbook.collect.aws.iam import parse_credential_report
from opsbook.collect.aws.iam_access import build
from opsbook.core.models import Status
from tests.checks.helpers import NOW, by_status, run_check

OLD = NOW - timedelta(days=400)


def user(name: str, **kw: object) -> IamUserAccess:
    return IamUserAccess(name=name, arn=f"arn:aws:iam::1:user/{name}", created=OLD, **kw)  # type: ignore[arg-type]


def test_inactive_users_by_latest_login_or_key_use_and_protected_users_are_kept() -> None:
    access = IamAccess(
        users=[
            user("recent-login", password_last_used=NOW - timedelta(days=3)),
            user("old-login-recent-key", password_last_used=NOW - timedelta(days=300),
                 keys=[AccessKeyUse(slot=1, active=True, created=OLD, last_used=NOW - timedelta(days=10))]),
            user("new-key-never-used", keys=[AccessKeyUse(slot=1, active=True, created=NOW - timedelta(days=5))]),
            user("carol", password_last_used=NOW - timedelta(days=200),
                 keys=[AccessKeyUse(slot=1, active=True, created=OLD, last_used=NOW - timedelta(days=120))]),
            user("never", password_enabled=True),
            user("tagged", tags={"opsbook:protected": "true"}),
            user("listed"),
        ]
    )  # fmt: skip
    s = by_status(run_check("iam.inactive_users", {"iam.access": access}, {"protected_users": ["listed"]}))
    fails = {f.resource.name: f for f in s[Status.FAIL] if f.resource}
    assert set(fails) == {"carol", "never"}
    assert (
        fails["carol"].details["inactive_days"] == 120
        and fails["carol"].details["activity"] == "access key 1 used"
    )
    assert fails["never"].details["inactive_days"] == 400
    assert fails["carol"].proposal is not None and fails["carol"].proposal.params["user"] == "carol"
    passed = {f.resource.name: f for f in s[Status.PASS] if f.resource}
    assert passed["tagged"].details["kept"] and passed["listed"].details["kept"]
    assert "kept" not in passed["recent-login"].details
    # the threshold is the setting
    s30 = by_status(run_check("iam.inactive_users", {"iam.access": access}, {"inactive_days": 130}))
    assert {f.resource.name for f in s30[Status.FAIL] if f.resource} == {"never", "listed"}


def test_unused_roles_skip_service_linked_roles() -> None:
    access = IamAccess(
        roles=[
            IamRoleAccess(name="used", arn="arn:r/used", created=OLD, last_used=NOW - timedelta(days=2)),
            IamRoleAccess(name="stale", arn="arn:r/stale", created=OLD, last_used=NOW - timedelta(days=100)),
            IamRoleAccess(name="never", arn="arn:r/never", created=OLD),
            IamRoleAccess(
                name="AWSServiceRoleForX", arn="arn:r/slr", path="/aws-service-role/x/", created=OLD
            ),
        ]
    )
    s = by_status(run_check("iam.unused_roles", {"iam.access": access}))
    assert {f.resource.name for f in s[Status.FAIL] if f.resource} == {"stale", "never"}
    assert {f.resource.name for f in s[Status.PASS] if f.resource} == {"used"}


def test_access_inventory_joins_authorization_details_and_credential_report() -> None:
    raw = {
        "UserDetailList": [{"UserName": "carol", "Arn": "arn:aws:iam::1:user/carol", "CreateDate": OLD,
                            "GroupList": ["contractors"], "Tags": [{"Key": "team", "Value": "data"}],
                            "UserPolicyList": [{"PolicyName": "read-reports", "PolicyDocument": {}}]}],
        "GroupDetailList": [{"GroupName": "contractors", "GroupPolicyList": [], "AttachedManagedPolicies": []}],
        "RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::1:role/r", "CreateDate": OLD,
                            "RoleLastUsed": {"LastUsedDate": NOW - timedelta(days=1)}}],
        "Policies": [],
    }  # fmt: skip
    report = parse_credential_report(
        "user,arn,user_creation_time,password_enabled,password_last_used,mfa_active,access_key_1_active,"
        "access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,"
        "access_key_2_last_used_date\n"
        "carol,arn:aws:iam::1:user/carol,2025-10-23T08:00:00+00:00,true,2026-05-11T08:00:00+00:00,true,true,"
        "2026-01-31T08:00:00+00:00,2026-05-11T08:00:00+00:00,false,N/A,N/A\n"
    )
    access = build(raw, report)
    carol = access.users[0]
    assert carol.groups == ["contractors"] and carol.policies == ["inline:read-reports"]
    assert carol.tags == {"team": "data"} and carol.mfa_active and carol.password_enabled
    assert [(k.slot, k.active, k.last_used) for k in carol.keys] == [(1, True, report[0].keys_last_used[1])]
    assert carol.last_activity()[0] == report[0].password_last_used
    assert access.roles[0].last_used == NOW - timedelta(days=1)
