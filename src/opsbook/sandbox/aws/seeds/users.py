"""The access review (guide: Security Operations / Access Review), seeded after seeds/security.py (which
creates alice, bob and the roles) so that the monthly audit's access checks pass and fail:

| check               | passes                                                 | fails                               |
|---------------------|--------------------------------------------------------|-------------------------------------|
| iam.inactive_users  | alice (dev, staging), bob (prod): console login        | prod carol: no login or key use for |
|                     | yesterday; prod break-glass: never used, but tagged    | INACTIVE_AGO (console, MFA, a group,|
|                     | PROTECT_TAG (kept)                                     | inline + attached policy, SSH key)  |
| iam.unused_roles    | every other role: assumed yesterday                    | staging old-batch: never assumed    |

carol also has an active key older than 90 days (iam.access_key_age fails in prod already, for bob) and MFA
(iam.console_without_mfa passes her); break-glass has MFA too. Her policies are narrow (iam.overprivileged
passes her). `opsbook plan remove-inactive-users` selects carol alone. Dates are poked in `finish()`
(sandbox/aws/backdate.py): users created seeds/security.py's CREATED_AGO, carol's key KEY_AGO.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsbook.sandbox.aws import backdate
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.seeds.security import CREATED_AGO, TRUST, policy
from opsbook.sandbox.estate import SandboxAccount

_POKES: list[tuple[str, Any]] = []
INACTIVE = "carol"
PROTECTED = "break-glass"
PROTECT_TAG = ("opsbook:protected", "true")
UNUSED_ROLE = "old-batch"
INACTIVE_AGO = timedelta(days=200)  # carol's last console login and key use
KEY_AGO = timedelta(days=300)  # carol's access key created
USED_AGO = timedelta(days=1)  # everyone else's last login / role use
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeSandboxKeyNotARealOneAtAll0000000 carol@laptop"


def seed_account(client: Any, acct: SandboxAccount, now: datetime, data: SandboxData) -> None:
    iam = client("iam")
    for name in ("alice",) if acct.name != "prod" else ("bob",):
        _POKES.append(("used", (acct.id, name, now - USED_AGO, None)))
    if acct.name == "staging":
        iam.create_role(RoleName=UNUSED_ROLE, AssumeRolePolicyDocument=TRUST)
        _POKES.append(("role", (acct.id, UNUSED_ROLE, now - CREATED_AGO)))
    if acct.name == "prod":
        iam.create_group(GroupName="contractors")
        seed_carol(iam, acct, now)
        iam.create_user(UserName=PROTECTED, Tags=[{"Key": PROTECT_TAG[0], "Value": PROTECT_TAG[1]}])
        iam.create_login_profile(UserName=PROTECTED, Password="Sandbox-not-a-secret-2")
        enable_mfa(iam, PROTECTED)
        _POKES.append(("user", (acct.id, PROTECTED, now - CREATED_AGO)))
    _POKES.append(("roles", (acct.id, now - USED_AGO)))


def enable_mfa(iam: Any, user: str) -> None:
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")  # fmt: skip


def seed_carol(iam: Any, acct: SandboxAccount, now: datetime) -> None:
    """carol as seeded (also what a test that removed her calls, then `finish`, to put her back)."""
    iam.create_user(UserName=INACTIVE)
    iam.create_login_profile(UserName=INACTIVE, Password="Sandbox-not-a-secret-3")
    iam.create_access_key(UserName=INACTIVE)
    enable_mfa(iam, INACTIVE)
    iam.add_user_to_group(GroupName="contractors", UserName=INACTIVE)
    iam.put_user_policy(
        UserName=INACTIVE,
        PolicyName="read-reports",
        PolicyDocument=policy(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-bucket-prod/reports/*"}
        ),
    )
    arn = f"arn:aws:iam::{acct.id}:policy/app-deploy-s3"  # seeds/security.py's narrow policy
    iam.attach_user_policy(UserName=INACTIVE, PolicyArn=arn)
    iam.upload_ssh_public_key(UserName=INACTIVE, SSHPublicKeyBody=SSH_KEY)
    _POKES.append(("user", (acct.id, INACTIVE, now - CREATED_AGO)))
    _POKES.append(("key_age", (acct.id, INACTIVE, now - KEY_AGO)))
    _POKES.append(("used", (acct.id, INACTIVE, now - INACTIVE_AGO, now - INACTIVE_AGO)))


def finish(now: datetime, data: SandboxData) -> None:
    from moto.iam.models import iam_backends

    for kind, args in _POKES:
        if kind == "user":
            backdate.iam_user(*args)
        elif kind == "key_age":
            backdate.iam_access_keys(*args)
        elif kind == "role":
            backdate.iam_role(*args)
        elif kind == "used":
            backdate.iam_user_used(*args)
        elif kind == "roles":  # every role of the account is in use, but the deliberate UNUSED_ROLE
            acct_id, when = args
            for role in list(iam_backends[acct_id]["global"].roles.values()):
                if role.name != UNUSED_ROLE:
                    backdate.iam_role_used(acct_id, role.name, when)
    _POKES.clear()
