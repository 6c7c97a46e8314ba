"""First of month (and the Access Review): IAM users with no console login and no access key use in N
days. A failure proposes `opsbook plan remove-inactive-users`; protected users are kept (PASS, `kept`)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from opsbook.collect.aws.access_models import IamAccess, IamUserAccess
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Proposal, Resource, Severity
from opsbook.core.settings import CheckSettings
from opsbook.core.tags import is_protected

PROCEDURE = "remove-inactive-users"


class Settings(CheckSettings):
    inactive_days: int = Field(90, ge=1, description="no console login and no key use for this many days")
    protect_tag: str = Field(
        "opsbook:protected=true", description="users with this tag are kept (`remove-inactive-users` sets it "
        "from `access.protect_tag`)"
    )  # fmt: skip
    protected_users: list[str] = Field(
        default_factory=list,
        description="users kept by name (`remove-inactive-users` adds `access.protected_users`)",
    )


def user_resource(u: IamUserAccess) -> Resource:
    return Resource(id=u.arn, type="AWS::IAM::User", arn=u.arn, name=u.name)


def describe(u: IamUserAccess) -> dict[str, object]:
    """What the review and the plan show of a user (never a secret: key slots, dates, names)."""
    return {
        "created": u.created.isoformat() if u.created else None,
        "console": u.password_enabled,
        "password_last_used": u.password_last_used.isoformat() if u.password_last_used else None,
        "mfa": u.mfa_active,
        "tags": u.tags,
        "groups": u.groups,
        "policies": u.policies,
        "keys": [
            {
                "slot": k.slot,
                "active": k.active,
                "created": k.created.isoformat() if k.created else None,
                "last_used": k.last_used.isoformat() if k.last_used else None,
            }
            for k in u.keys
        ],
    }


@check(
    id="iam.inactive_users",
    title="IAM users inactive for 90 days (no console login, no access key use)",
    section="Monthly Tasks / First of Month: Security Audit",
    cadence=("monthly:audit",),
    severity=Severity.MEDIUM,
    needs=("iam.access",),
    remediation="opsbook plan remove-inactive-users --inactive-days 90 -o plan.json; opsbook apply plan.json "
    "(the guide: aws iam delete-user --user-name inactive-user)",
    fixed_by=PROCEDURE,
    settings=Settings,
)
def inactive_users(ctx: CheckContext) -> Iterable[Finding]:
    access: IamAccess | None = ctx["iam.access"]
    if access is None:  # IAM is account-wide: read in the account's first region only
        return
    s: Settings = ctx.settings
    for u in access.users:
        last, what = u.last_activity()
        days = (ctx.now - last).days if last else None
        info = {**describe(u), "last_activity": last.isoformat() if last else None, "activity": what,
                "inactive_days": days, "limit_days": s.inactive_days}  # fmt: skip
        if days is None or days < s.inactive_days:
            yield ctx.passed(f"{u.name}: active ({what} {days} days ago)", user_resource(u), **info)
        elif is_protected(u.tags, s.protect_tag) or u.name in s.protected_users:
            yield ctx.passed(f"{u.name}: inactive {days} days but protected, kept", user_resource(u),
                             kept=True, **info)  # fmt: skip
        else:
            yield ctx.failed(
                f"{u.name}: inactive for {days} days ({what})",
                user_resource(u),
                None,
                # the last of the steps the planner reads live (procedures/iam_users.py: keys off ... delete-user)
                proposal=Proposal(
                    procedure=PROCEDURE,
                    kind="iam-user-delete",
                    action="delete-user",
                    params={"user": u.name, "inactive_days": s.inactive_days},
                ),  # fmt: skip
                **info,
            )
