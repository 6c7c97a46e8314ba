"""`iam.access`: the access review's users and roles (account-wide), read from what the security audit
already collects: the authorization details (groups, policies, tags, RoleLastUsed) and the credential
report (console login, MFA, access keys and their last use). No call of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsbook.collect.aws.access_models import AccessKeyUse, IamAccess, IamRoleAccess, IamUserAccess
from opsbook.collect.aws.iam import EXPORT_KEY, parse_details
from opsbook.collect.aws.security_models import CredentialReportRow
from opsbook.core.collectors import CollectContext, collector

KEY = "iam.access"


def when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) and value else None


def build(raw: dict[str, Any], report: list[CredentialReportRow]) -> IamAccess:
    details = parse_details(raw)
    labels = {p.arn: [label for label, _ in p.documents] for p in details.users + details.roles}
    rows = {r.user: r for r in report}
    users = []
    for u in raw.get("UserDetailList", []):
        row = rows.get(u["UserName"])
        used = row.keys_last_used if row else {}
        keys = [
            AccessKeyUse(slot=n, active=active, created=created, last_used=used.get(n))
            for n, active, created in (row.keys if row else [])
        ]
        users.append(
            IamUserAccess(
                name=u["UserName"],
                arn=u["Arn"],
                created=when(u.get("CreateDate")),
                tags={t["Key"]: t.get("Value", "") for t in u.get("Tags", [])},
                groups=list(u.get("GroupList", [])),
                policies=labels.get(u["Arn"], []),
                password_enabled=bool(row and row.password_enabled),
                password_last_used=row.password_last_used if row else None,
                mfa_active=bool(row and row.mfa_active),
                keys=keys,
            )
        )
    roles = [
        IamRoleAccess(
            name=r["RoleName"],
            arn=r["Arn"],
            path=r.get("Path", "/"),
            created=when(r.get("CreateDate")),
            last_used=when((r.get("RoleLastUsed") or {}).get("LastUsedDate")),
            policies=labels.get(r["Arn"], []),
        )
        for r in raw.get("RoleDetailList", [])
    ]
    return IamAccess(users=sorted(users, key=lambda u: u.name), roles=sorted(roles, key=lambda r: r.name))


@collector(KEY, permissions=(), deps=(EXPORT_KEY, "iam.credential_report"), scope="account")
def access(ctx: CollectContext) -> IamAccess | None:
    raw = ctx.get(EXPORT_KEY)
    report = ctx.get("iam.credential_report")
    return None if raw is None or report is None else build(raw, report)
