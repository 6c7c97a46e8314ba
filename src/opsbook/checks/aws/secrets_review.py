"""Secrets Manager: the weekly review (unused, rotation off or stale) and the monthly rotation audit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from opsbook.collect.aws.security_models import Secret
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity

PERMISSIONS = ("secretsmanager:ListSecrets",)


def secret_resource(s: Secret) -> Resource:
    return Resource(id=s.name, type="AWS::SecretsManager::Secret", arn=s.arn, name=s.name)


class HygieneSettings(BaseModel):
    unused_days: int = Field(90, ge=1, description="a secret not read for this many days is unused")
    max_rotation_age_days: int = Field(
        90, ge=1, description="a secret last rotated longer ago than this is stale"
    )
    require_rotation: bool = Field(True, description="rotation disabled is a finding")


@check(
    id="secretsmanager.secret_hygiene",
    title="Secrets not accessed, without rotation, or not rotated recently",
    section="Weekly Tasks / Monday: Security Review",
    cadence=("weekly:monday",),
    severity=Severity.MEDIUM,
    needs=("secretsmanager.secrets",),
    permissions=PERMISSIONS,
    remediation="aws secretsmanager list-secrets --query 'SecretList[*].[Name,LastAccessedDate]'; delete unused "
    "secrets; enable rotation: aws secretsmanager rotate-secret --secret-id <name> --rotation-rules AutomaticallyAfterDays=30",
    settings=HygieneSettings,
)
def secret_hygiene(ctx: CheckContext) -> Iterable[Finding]:
    secrets: list[Secret] = ctx["secretsmanager.secrets"]
    s = ctx.settings
    unused_before = ctx.now - timedelta(days=s.unused_days)
    stale_before = ctx.now - timedelta(days=s.max_rotation_age_days)
    for sec in secrets:
        problems: list[str] = []
        if sec.last_accessed is None:
            if sec.created is None or sec.created < unused_before:
                problems.append("never accessed")
        elif sec.last_accessed < unused_before:
            problems.append(f"not accessed for {(ctx.now - sec.last_accessed).days} days")
        if not sec.rotation_enabled:
            if s.require_rotation:
                problems.append("rotation disabled")
        else:
            rotated = sec.last_rotated or sec.created
            if rotated is not None and rotated < stale_before:
                problems.append(f"last rotated {(ctx.now - rotated).days} days ago")
        info = {
            "last_accessed": sec.last_accessed.isoformat() if sec.last_accessed else None,
            "last_rotated": sec.last_rotated.isoformat() if sec.last_rotated else None,
            "rotation_enabled": sec.rotation_enabled,
            "problems": problems,
        }
        if problems:
            yield ctx.failed(f"secret {sec.name}: {'; '.join(problems)}", secret_resource(sec), None, **info)
        else:
            yield ctx.passed(f"secret {sec.name} is in use and rotated", secret_resource(sec), **info)


class RotationSettings(BaseModel):
    grace_days: int = Field(1, ge=0, description="days past the rotation interval before it counts as due")


@check(
    id="secretsmanager.rotation_due",
    title="Secrets whose rotation is due",
    section="Monthly Tasks / First of Month: Security Audit",
    cadence=("monthly:audit",),
    severity=Severity.HIGH,
    needs=("secretsmanager.secrets",),
    permissions=PERMISSIONS,
    remediation="aws secretsmanager rotate-secret --secret-id <name>; check the rotation Lambda's logs if it failed",
    settings=RotationSettings,
)
def rotation_due(ctx: CheckContext) -> Iterable[Finding]:
    secrets: list[Secret] = ctx["secretsmanager.secrets"]
    grace = timedelta(days=ctx.settings.grace_days)
    for sec in secrets:
        if not sec.rotation_enabled:
            continue  # the weekly review reports rotation disabled
        why = None
        if sec.next_rotation is not None and sec.next_rotation + grace < ctx.now:
            why = f"next rotation was due {sec.next_rotation.date().isoformat()}"
        rotated = sec.last_rotated or sec.created
        if why is None and sec.rotation_days and rotated is not None:
            due = rotated + timedelta(days=sec.rotation_days)
            if due + grace < ctx.now:
                why = f"last rotated {(ctx.now - rotated).days} days ago, interval {sec.rotation_days} days"
        info = {
            "next_rotation": sec.next_rotation.isoformat() if sec.next_rotation else None,
            "last_rotated": sec.last_rotated.isoformat() if sec.last_rotated else None,
            "rotation_days": sec.rotation_days,
        }
        if why:
            yield ctx.failed(
                f"secret {sec.name}: rotation overdue ({why})", secret_resource(sec), None, **info
            )
        else:
            yield ctx.passed(f"secret {sec.name}: rotation on schedule", secret_resource(sec), **info)
