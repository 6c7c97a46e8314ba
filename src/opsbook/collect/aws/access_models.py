"""Typed, frozen inventory of the access review (guide: Security Operations / Access Review): every IAM
user with what grants it access and when it last used it, every role with its policies and last use.

A user's last activity is the latest of its console login (PasswordLastUsed) and, per access key, the
key's last use; a key never used counts from its creation, and a user with neither from its own creation.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from opsbook.collect.aws.models import Frozen


class AccessKeyUse(Frozen):
    slot: int  # 1 | 2, as the credential report numbers them
    active: bool
    created: datetime | None = None
    last_used: datetime | None = None


class IamUserAccess(Frozen):
    name: str
    arn: str
    created: datetime | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    groups: list[str] = Field(default_factory=list)
    # where its permissions come from: inline:NAME, managed:NAME, group:GROUP:inline:NAME, group:GROUP:managed:NAME
    policies: list[str] = Field(default_factory=list)
    password_enabled: bool = False
    password_last_used: datetime | None = None
    mfa_active: bool = False
    keys: list[AccessKeyUse] = Field(default_factory=list)

    def last_activity(self) -> tuple[datetime | None, str]:
        """(when, what): the user's latest sign of life (see the module's docstring)."""
        return last_activity(self.created, self.password_last_used, self.keys)


class IamRoleAccess(Frozen):
    name: str
    arn: str
    path: str = "/"
    created: datetime | None = None
    last_used: datetime | None = None  # RoleLastUsed.LastUsedDate (IAM tracks the last 400 days)
    policies: list[str] = Field(default_factory=list)

    @property
    def service_linked(self) -> bool:
        return self.path.startswith("/aws-service-role/")


class IamAccess(Frozen):
    users: list[IamUserAccess] = Field(default_factory=list)
    roles: list[IamRoleAccess] = Field(default_factory=list)


def last_activity(
    created: datetime | None, password_last_used: datetime | None, keys: list[AccessKeyUse]
) -> tuple[datetime | None, str]:
    seen: list[tuple[datetime, str]] = []
    if password_last_used is not None:
        seen.append((password_last_used, "console login"))
    for k in keys:
        if k.last_used is not None:
            seen.append((k.last_used, f"access key {k.slot} used"))
        elif k.created is not None:
            seen.append((k.created, f"access key {k.slot} created, never used"))
    if seen:
        return max(seen)
    return created, "created, never signed in"
