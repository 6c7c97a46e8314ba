"""Removing an inactive IAM user (guide: Security Operations / Access Review, `aws iam delete-user`), one
item kind per step, in the order IAM requires before DeleteUser succeeds:

  deactivate access keys -> delete login profile -> remove from groups -> delete inline policies ->
  detach managed policies -> delete MFA devices -> delete signing certificates, SSH keys and
  service-specific credentials -> delete access keys -> delete the user.

Every step re-checks the user first (`recheck`): gone -> done; protected now (tag) -> changed; **active
since the plan** (a console login, a key use or a new key after the plan's last activity, or within the
plan's inactive days) -> changed, so every later step of that user is skipped too, and reported. A step
acts only on what the plan listed: something added since (a new group, policy, key) -> changed.

Undo (`--rollback`) puts back what can be put back while the user exists: keys re-activated, groups
re-joined, inline policies re-put (their documents are journaled: policies, never secrets), managed
policies re-attached. A password, an MFA device's seed, SSH keys, certificates, access keys and the user
itself cannot be restored; those kinds are `irreversible` and say so.

Item params: `user`, `last_activity` (ISO, what the plan saw), `inactive_days`, `protect_tag`, `planned`
(the ids this step acts on: key ids, group names, policy names or ARNs, MFA serials, `ssh:ID` /
`signing:ID` / `service:ID`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from opsbook.collect.aws.access_models import AccessKeyUse, last_activity
from opsbook.core.tags import is_protected
from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem


@dataclass
class UserState:
    """What IAM holds for one user right now, by step part (see PARTS)."""

    name: str
    tags: dict[str, str]
    last_activity: datetime | None
    activity: str
    parts: dict[str, list[str]] = field(default_factory=dict)


def missing(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") == "NoSuchEntity"


def pages(iam: Any, operation: str, key: str, **kw: Any) -> list[dict[str, Any]]:
    return [x for page in iam.get_paginator(operation).paginate(**kw) for x in page.get(key, [])]


def read_user(iam: Any, name: str) -> UserState | None:
    """The user's access and activity, or None when it does not exist."""
    try:
        user = iam.get_user(UserName=name)["User"]
    except Exception as exc:
        if missing(exc):
            return None
        raise
    keys = pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
    uses = [
        AccessKeyUse(
            slot=n,
            active=k["Status"] == "Active",
            created=k.get("CreateDate"),
            last_used=iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"].get(
                "LastUsedDate"
            ),
        )
        for n, k in enumerate(keys, start=1)
    ]
    when, what = last_activity(user.get("CreateDate"), user.get("PasswordLastUsed"), uses)
    try:
        iam.get_login_profile(UserName=name)
        login = ["login-profile"]
    except Exception as exc:
        if not missing(exc):
            raise
        login = []
    creds = [f"ssh:{k['SSHPublicKeyId']}" for k in iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]]
    creds += [
        f"signing:{c['CertificateId']}" for c in iam.list_signing_certificates(UserName=name)["Certificates"]
    ]
    creds += [
        f"service:{c['ServiceSpecificCredentialId']}"
        for c in iam.list_service_specific_credentials(UserName=name).get("ServiceSpecificCredentials", [])
    ]
    parts = {
        "active_keys": [k["AccessKeyId"] for k in keys if k["Status"] == "Active"],
        "login_profile": login,
        "groups": [g["GroupName"] for g in pages(iam, "list_groups_for_user", "Groups", UserName=name)],
        "inline_policies": pages(iam, "list_user_policies", "PolicyNames", UserName=name),
        "managed_policies": [
            p["PolicyArn"]
            for p in pages(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name)
        ],
        "mfa_devices": [
            d["SerialNumber"] for d in pages(iam, "list_mfa_devices", "MFADevices", UserName=name)
        ],
        "credentials": creds,
        "keys": [k["AccessKeyId"] for k in keys],
        "user": [name],
    }
    tags = {t["Key"]: t.get("Value", "") for t in user.get("Tags", [])}
    return UserState(name=name, tags=tags, last_activity=when, activity=what, parts=parts)


def recheck_part(part: str) -> Callable[[PlanItem, Clients], Live]:
    def recheck(item: PlanItem, clients: Clients) -> Live:
        p = item.params
        state = read_user(clients("iam"), p["user"])
        if state is None:
            return Live("done", f"user {p['user']} no longer exists")
        if is_protected(state.tags, p["protect_tag"]):
            return Live("changed", f"{p['user']} now carries {p['protect_tag']}: protected, not touched")
        planned_last = datetime.fromisoformat(p["last_activity"]) if p.get("last_activity") else None
        active_since = state.last_activity is not None and (
            (planned_last is not None and state.last_activity > planned_last)
            or clients.now - state.last_activity < timedelta(days=p["inactive_days"])
        )
        if active_since:
            return Live(
                "changed",
                f"{p['user']} was active since the plan ({state.activity} {state.last_activity:%Y-%m-%d %H:%M}Z): skipped",
                state.tags,
                {"last_activity": state.last_activity.isoformat() if state.last_activity else None},
            )
        live = state.parts[part]
        added = sorted(set(live) - set(p["planned"]))
        if added:
            return Live(
                "changed", f"{p['user']} has {', '.join(added)} since the plan: make a new plan", state.tags
            )
        if not live:
            return Live("done", f"nothing left to {item.action} for {p['user']}", state.tags)
        return Live(
            "eligible",
            f"{p['user']} inactive since {state.last_activity:%Y-%m-%d}: {', '.join(live)}",
            state.tags,
        )

    return recheck


def user_gone(fn: Callable[[Any, str, dict[str, Any]], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """An undo that finds the user deleted restores nothing and says why (the rollback goes on)."""

    def undo(item: PlanItem, clients: Clients, detail: dict[str, Any]) -> dict[str, Any]:
        user = item.params["user"]
        try:
            return fn(clients("iam"), user, {**item.params, **detail})
        except Exception as exc:
            if missing(exc):
                return {"note": f"user {user} no longer exists: nothing of this step can be restored"}
            raise

    return undo


def act_each(
    call: Callable[[Any, str, str], Any], part: str
) -> Callable[[PlanItem, Clients], dict[str, Any]]:
    """Act on each planned id still present (a retry after a crash skips what is already done)."""

    def act(item: PlanItem, clients: Clients) -> dict[str, Any]:
        iam, user = clients("iam"), item.params["user"]
        state = read_user(iam, user)
        present = set(state.parts[part]) if state else set()
        done = []
        for ident in item.params["planned"]:
            if ident in present:
                call(iam, user, ident)
                done.append(ident)
        return {part: done}

    return act


def delete_inline(item: PlanItem, clients: Clients) -> dict[str, Any]:
    """Journal each document before deleting it, so `--rollback` can put it back."""
    iam, user = clients("iam"), item.params["user"]
    docs = {}
    for name in item.params["planned"]:
        try:
            docs[name] = iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"]
        except Exception as exc:
            if not missing(exc):
                raise
            continue
        iam.delete_user_policy(UserName=user, PolicyName=name)
    return {"inline_policies": sorted(docs), "documents": docs}


def delete_credential(iam: Any, user: str, ident: str) -> None:
    kind, _, cid = ident.partition(":")
    if kind == "ssh":
        iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=cid)
    elif kind == "signing":
        iam.delete_signing_certificate(UserName=user, CertificateId=cid)
    else:
        iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cid)


def delete_mfa(iam: Any, user: str, serial: str) -> None:
    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    if ":mfa/" in serial:  # a virtual device (an ARN); hardware serials have nothing more to delete
        iam.delete_virtual_mfa_device(SerialNumber=serial)


def reactivate(iam: Any, user: str, d: dict[str, Any]) -> dict[str, Any]:
    keys = {k["AccessKeyId"] for k in pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=user)}
    back = [k for k in d.get("active_keys", d["planned"]) if k in keys]
    for k in back:
        iam.update_access_key(UserName=user, AccessKeyId=k, Status="Active")
    return {"reactivated": back, "gone": sorted(set(d.get("active_keys", d["planned"])) - keys)}


def rejoin(iam: Any, user: str, d: dict[str, Any]) -> dict[str, Any]:
    for g in d.get("groups", d["planned"]):
        iam.add_user_to_group(GroupName=g, UserName=user)
    return {"rejoined": d.get("groups", d["planned"])}


def reput(iam: Any, user: str, d: dict[str, Any]) -> dict[str, Any]:
    import json

    for name, doc in (d.get("documents") or {}).items():
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=json.dumps(doc))
    return {"restored": sorted(d.get("documents") or {})}


def reattach(iam: Any, user: str, d: dict[str, Any]) -> dict[str, Any]:
    for arn in d.get("managed_policies", d["planned"]):
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    return {"reattached": d.get("managed_policies", d["planned"])}


GONE = "IAM cannot restore it"
# (kind, action, part, IAM actions, act, undo or why none), in the order IAM requires
STEPS: tuple[tuple[str, str, str, tuple[str, ...], Any, Any], ...] = (
    ("iam-user-keys-deactivate", "deactivate-access-keys", "active_keys", ("iam:UpdateAccessKey",),
     act_each(lambda iam, u, k: iam.update_access_key(UserName=u, AccessKeyId=k, Status="Inactive"), "active_keys"),
     user_gone(reactivate)),
    ("iam-user-login-delete", "delete-login-profile", "login_profile", ("iam:DeleteLoginProfile",),
     act_each(lambda iam, u, _: iam.delete_login_profile(UserName=u), "login_profile"),
     f"a deleted console password is gone ({GONE}; create-login-profile sets a new one)"),
    ("iam-user-groups-remove", "remove-from-groups", "groups", ("iam:RemoveUserFromGroup", "iam:AddUserToGroup"),
     act_each(lambda iam, u, g: iam.remove_user_from_group(GroupName=g, UserName=u), "groups"), user_gone(rejoin)),
    ("iam-user-inline-delete", "delete-inline-policies", "inline_policies",
     ("iam:GetUserPolicy", "iam:DeleteUserPolicy", "iam:PutUserPolicy"), delete_inline, user_gone(reput)),
    ("iam-user-managed-detach", "detach-managed-policies", "managed_policies",
     ("iam:DetachUserPolicy", "iam:AttachUserPolicy"),
     act_each(lambda iam, u, a: iam.detach_user_policy(UserName=u, PolicyArn=a), "managed_policies"),
     user_gone(reattach)),
    ("iam-user-mfa-delete", "delete-mfa-devices", "mfa_devices",
     ("iam:DeactivateMFADevice", "iam:DeleteVirtualMFADevice"), act_each(delete_mfa, "mfa_devices"),
     f"an MFA device's seed is gone with it ({GONE}; the user would enrol a new device)"),
    ("iam-user-credentials-delete", "delete-other-credentials", "credentials",
     ("iam:DeleteSSHPublicKey", "iam:DeleteSigningCertificate", "iam:DeleteServiceSpecificCredential"),
     act_each(delete_credential, "credentials"), f"deleted SSH keys, certificates and service credentials: {GONE}"),
    ("iam-user-keys-delete", "delete-access-keys", "keys", ("iam:DeleteAccessKey",),
     act_each(lambda iam, u, k: iam.delete_access_key(UserName=u, AccessKeyId=k), "keys"),
     f"a deleted access key's secret is gone ({GONE})"),
    ("iam-user-delete", "delete-user", "user", ("iam:DeleteUser",),
     act_each(lambda iam, u, _: iam.delete_user(UserName=u), "user"),
     f"a deleted user is gone with its keys and history ({GONE}; a new user of that name is another principal)"),
)  # fmt: skip
READS = (
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed",
    "iam:GetLoginProfile",
    "iam:ListGroupsForUser",
    "iam:ListUserPolicies",
    "iam:ListAttachedUserPolicies",
    "iam:ListMFADevices",
    "iam:ListSSHPublicKeys",
    "iam:ListSigningCertificates",
    "iam:ListServiceSpecificCredentials",
)
KINDS = tuple(s[0] for s in STEPS)

for _kind, _action, _part, _perms, _act, _undo in STEPS:
    item_kind(
        _kind,
        action=_action,
        permissions=READS + _perms,
        recheck=recheck_part(_part),
        act=_act,
        undo=_undo if callable(_undo) else None,
        irreversible="" if callable(_undo) else _undo,
    )
