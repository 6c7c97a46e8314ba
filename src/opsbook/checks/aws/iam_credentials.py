"""First of month: console users without MFA and access keys older than 90 days (credential report)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from opsbook.collect.aws.security_models import CredentialReportRow
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity

PERMISSIONS = ("iam:GenerateCredentialReport", "iam:GetCredentialReport")
ROOT = "<root_account>"


def user_resource(row: CredentialReportRow) -> Resource:
    return Resource(id=row.arn, type="AWS::IAM::User", arn=row.arn, name=row.user)


@check(
    id="iam.console_without_mfa",
    title="IAM users with a console password and no MFA",
    section="Monthly Tasks / First of Month: Security Audit",
    cadence=("monthly:audit",),
    severity=Severity.HIGH,
    needs=("iam.credential_report",),
    permissions=PERMISSIONS,
    remediation="aws iam enable-mfa-device --user-name <user> ... (or remove the console password: "
    "aws iam delete-login-profile --user-name <user>)",
)
def console_without_mfa(ctx: CheckContext) -> Iterable[Finding]:
    rows: list[CredentialReportRow] | None = ctx["iam.credential_report"]
    if rows is None:  # IAM is account-wide: read in the account's first region only
        return
    for row in rows:
        if not row.password_enabled and row.user != ROOT:
            continue
        info = {"password_enabled": row.password_enabled, "mfa_active": row.mfa_active}
        if row.mfa_active:
            yield ctx.passed(f"{row.user}: console access with MFA", user_resource(row), **info)
        else:
            yield ctx.failed(f"{row.user}: console password without MFA", user_resource(row), None, **info)


class KeySettings(BaseModel):
    max_age_days: int = Field(90, ge=1, description="active access keys older than this fail")


@check(
    id="iam.access_key_age",
    title="IAM access keys older than 90 days",
    section="Monthly Tasks / First of Month: Security Audit",
    cadence=("monthly:audit",),
    severity=Severity.MEDIUM,
    needs=("iam.credential_report",),
    permissions=PERMISSIONS,
    remediation="aws iam create-access-key --user-name <user>; switch the consumer; "
    "aws iam update-access-key --status Inactive, then delete-access-key",
    settings=KeySettings,
)
def access_key_age(ctx: CheckContext) -> Iterable[Finding]:
    rows: list[CredentialReportRow] | None = ctx["iam.credential_report"]
    if rows is None:
        return
    limit = ctx.settings.max_age_days
    for row in rows:
        for slot, active, rotated in row.keys:
            if not active or rotated is None:
                continue
            age = (ctx.now - rotated).days
            res = Resource(
                id=f"{row.arn}#key{slot}", type="AWS::IAM::AccessKey", name=f"{row.user} key {slot}"
            )
            info = {
                "user": row.user,
                "key": slot,
                "created": rotated.isoformat(),
                "age_days": age,
                "max_age_days": limit,
            }
            if age > limit:
                yield ctx.failed(f"{row.user}: access key {slot} is {age} days old", res, None, **info)
            else:
                yield ctx.passed(f"{row.user}: access key {slot} is {age} days old", res, **info)
