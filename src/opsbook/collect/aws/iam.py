"""IAM (account-wide, scope="account": collected once per account and shared by its region targets).

- `iam.authorization_export`: GetAccountAuthorizationDetails as AWS returns it, saved with the run as the
  guide's `iam-audit-YYYYMM.json` (core/exports.py);
- `iam.authorization_details`: the same, parsed into principals with every policy document that applies;
- `iam.credential_report`: GenerateCredentialReport + GetCredentialReport (one call covers every user's
  password, MFA and access keys);
- `iam.access_advice`: access advisor per role and user (generate, then poll with a bounded wait).
"""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from pydantic import Field

from opsbook.collect.aws.security_models import (
    AccessAdvice,
    AuthorizationDetails,
    CredentialReportRow,
    Principal,
    ServiceUse,
)
from opsbook.core import exports
from opsbook.core.collectors import CollectContext, SettingsOf, collector
from opsbook.core.settings import CheckSettings

EXPORT_KEY = "iam.authorization_export"
exports.register(EXPORT_KEY, "iam-audit-{yyyymm}.json")

AWS_MANAGED = "arn:aws:iam::aws:policy/"


class AccessAdvisorSettings(CheckSettings):
    """The settings of check iam.unused_services; the access advice collector reads the poll bounds."""

    unused_days: int = Field(90, ge=1, description="a granted service not used for this many days is unused")
    poll_timeout_seconds: float = Field(60.0, gt=0, description="how long to wait for access advisor jobs")
    poll_interval_seconds: float = Field(1.0, ge=0, description="pause between polls")


@collector(EXPORT_KEY, permissions=("iam:GetAccountAuthorizationDetails",), scope="account")
def authorization_export(ctx: CollectContext) -> dict[str, Any] | None:
    out: dict[str, list[Any]] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    for page in ctx.client("iam").get_paginator("get_account_authorization_details").paginate():
        for key, items in out.items():
            items.extend(page.get(key, []))
    return out


def document(raw: Any) -> dict[str, Any]:
    """A policy document as a dict (botocore decodes IAM's URL-encoded JSON; be lenient if it did not)."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw:
        try:
            value = json.loads(unquote(raw) if raw.startswith("%") else raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def default_version(policy: dict[str, Any]) -> dict[str, Any]:
    for v in policy.get("PolicyVersionList", []):
        if v.get("IsDefaultVersion"):
            return document(v.get("Document"))
    return {}


def parse_details(raw: dict[str, Any]) -> AuthorizationDetails:
    managed = {p["Arn"]: p for p in raw.get("Policies", [])}
    groups = {g["GroupName"]: g for g in raw.get("GroupDetailList", [])}

    def attached(items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        docs = []
        for a in items:
            policy = managed.get(a.get("PolicyArn", ""))
            if policy is not None:
                docs.append(
                    (f"managed:{a.get('PolicyName', policy.get('PolicyName'))}", default_version(policy))
                )
        return docs

    def inline(items: list[dict[str, Any]], label: str = "inline") -> list[tuple[str, dict[str, Any]]]:
        return [(f"{label}:{p['PolicyName']}", document(p.get("PolicyDocument"))) for p in items]

    roles = [
        Principal(
            kind="role",
            name=r["RoleName"],
            arn=r["Arn"],
            path=r.get("Path", "/"),
            documents=inline(r.get("RolePolicyList", [])) + attached(r.get("AttachedManagedPolicies", [])),
            attached_policy_arns=sorted(a["PolicyArn"] for a in r.get("AttachedManagedPolicies", [])),
            tags={t["Key"]: t.get("Value", "") for t in r.get("Tags", [])},
        )
        for r in raw.get("RoleDetailList", [])
    ]
    users = []
    for u in raw.get("UserDetailList", []):
        docs = inline(u.get("UserPolicyList", [])) + attached(u.get("AttachedManagedPolicies", []))
        for gname in u.get("GroupList", []):
            g = groups.get(gname, {})
            docs += inline(g.get("GroupPolicyList", []), f"group:{gname}:inline")
            docs += [(f"group:{gname}:{s}", d) for s, d in attached(g.get("AttachedManagedPolicies", []))]
        users.append(
            Principal(kind="user", name=u["UserName"], arn=u["Arn"], path=u.get("Path", "/"), documents=docs)
        )
    policies = [
        Principal(
            kind="policy",
            name=p.get("PolicyName") or p["Arn"].rsplit("/", 1)[-1],
            arn=p["Arn"],
            path=p.get("Path", "/"),
            documents=[
                ("managed:" + (p.get("PolicyName") or p["Arn"].rsplit("/", 1)[-1]), default_version(p))
            ],
        )
        for p in raw.get("Policies", [])
        if not p["Arn"].startswith(AWS_MANAGED)
    ]
    return AuthorizationDetails(roles=roles, users=users, policies=policies)


@collector("iam.authorization_details", permissions=(), deps=(EXPORT_KEY,), scope="account")
def authorization_details(ctx: CollectContext) -> AuthorizationDetails | None:
    raw = ctx.get(EXPORT_KEY)
    return None if raw is None else parse_details(raw)


def report_time(value: str) -> datetime | None:
    if not value or value in ("N/A", "not_supported", "no_information"):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def parse_credential_report(content: bytes | str) -> list[CredentialReportRow]:
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        keys = [
            (
                n,
                r.get(f"access_key_{n}_active") == "true",
                report_time(r.get(f"access_key_{n}_last_rotated", "")),
            )
            for n in (1, 2)
            if r.get(f"access_key_{n}_active") == "true"
            or report_time(r.get(f"access_key_{n}_last_rotated", ""))
        ]
        rows.append(
            CredentialReportRow(
                user=r["user"],
                arn=r["arn"],
                password_enabled=r.get("password_enabled") == "true",
                mfa_active=r.get("mfa_active") == "true",
                keys=keys,
                created=report_time(r.get("user_creation_time", "")),
                password_last_used=report_time(r.get("password_last_used", "")),
                keys_last_used={
                    n: report_time(r.get(f"access_key_{n}_last_used_date", "")) for n, _, _ in keys
                },
            )
        )
    return rows


@collector(
    "iam.credential_report",
    permissions=("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
    scope="account",
)
def credential_report(ctx: CollectContext) -> list[CredentialReportRow] | None:
    iam = ctx.client("iam")
    pause = 0.1
    for _ in range(20):  # AWS builds the report in seconds; an existing one under 4 hours old is reused
        if iam.generate_credential_report().get("State") == "COMPLETE":
            break
        time.sleep(pause)
        pause = min(pause * 2, 3.0)
    return parse_credential_report(iam.get_credential_report()["Content"])


def read_job(iam: Any, job_id: str, first: dict[str, Any]) -> list[ServiceUse]:
    services: list[ServiceUse] = []
    page = first
    while True:
        services.extend(
            ServiceUse(
                namespace=s["ServiceNamespace"],
                name=s["ServiceName"],
                last_authenticated=s.get("LastAuthenticated"),
            )
            for s in page.get("ServicesLastAccessed", [])
        )
        if not page.get("IsTruncated"):
            return services
        page = iam.get_service_last_accessed_details(JobId=job_id, Marker=page["Marker"])


@collector(
    "iam.access_advice",
    permissions=("iam:GenerateServiceLastAccessedDetails", "iam:GetServiceLastAccessedDetails"),
    deps=("iam.authorization_details",),
    scope="account",
    settings=SettingsOf("iam.unused_services", AccessAdvisorSettings),
)
def access_advice(ctx: CollectContext) -> list[AccessAdvice] | None:
    details: AuthorizationDetails | None = ctx.get("iam.authorization_details")
    if details is None:
        return None
    iam = ctx.client("iam")
    bounds: AccessAdvisorSettings = ctx.settings
    timeout, interval = bounds.poll_timeout_seconds, bounds.poll_interval_seconds
    principals = [p for p in details.roles + details.users if not p.path.startswith("/aws-service-role/")]
    jobs = {p.arn: iam.generate_service_last_accessed_details(Arn=p.arn)["JobId"] for p in principals}
    done: dict[str, AccessAdvice] = {}
    deadline = time.monotonic() + timeout
    while True:
        for p in principals:
            if p.arn in done:
                continue
            page = iam.get_service_last_accessed_details(JobId=jobs[p.arn])
            status = page.get("JobStatus", "IN_PROGRESS")
            if status == "IN_PROGRESS":
                continue
            error = page.get("Error") or {}
            done[p.arn] = AccessAdvice(
                arn=p.arn,
                name=p.name,
                kind=p.kind,
                job_id=jobs[p.arn],
                status=status,
                error=error.get("Message"),
                services=read_job(iam, jobs[p.arn], page) if status == "COMPLETED" else [],
            )
        if len(done) == len(principals) or time.monotonic() >= deadline:
            break
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
    return [
        done.get(p.arn)
        or AccessAdvice(
            arn=p.arn,
            name=p.name,
            kind=p.kind,
            job_id=jobs[p.arn],
            status="TIMEOUT",
            error=f"not complete after {timeout:g}s",
        )
        for p in principals
    ]
