"""Typed, frozen inventory of the weekly security/backup reviews and the monthly security audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from opsbook.collect.aws.models import Frozen


class GuardDutyFinding(Frozen):
    id: str
    type: str
    severity: float
    title: str = ""
    resource_type: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    count: int = 1  # how many times GuardDuty saw it (Service.Count)

    @property
    def label(self) -> str:
        """GuardDuty's own bands: 7.0-8.9 high (9+ critical), 4.0-6.9 medium, 1.0-3.9 low."""
        if self.severity >= 9.0:
            return "critical"
        if self.severity >= 7.0:
            return "high"
        if self.severity >= 4.0:
            return "medium"
        return "low"


class GuardDutyState(Frozen):
    """The region's detector (None: GuardDuty was never enabled here) and its open findings."""

    detector_id: str | None = None
    status: str | None = None  # ENABLED | DISABLED
    findings: list[GuardDutyFinding] = Field(default_factory=list)


class ConfigRecorder(Frozen):
    name: str
    recording: bool
    last_status: str | None = None


class ConfigRuleCompliance(Frozen):
    name: str
    compliance: str  # COMPLIANT | NON_COMPLIANT | NOT_APPLICABLE | INSUFFICIENT_DATA
    noncompliant_count: int = 0
    capped: bool = False
    # (resource type, resource id, annotation) of the non-compliant resources, bounded
    noncompliant: list[tuple[str, str, str]] = Field(default_factory=list)


class ConfigState(Frozen):
    recorders: list[ConfigRecorder] = Field(default_factory=list)
    rules: list[ConfigRuleCompliance] = Field(default_factory=list)


class GroupReference(Frozen):
    """A rule of another security group that names this one (a `UserIdGroupPairs` entry)."""

    group_id: str  # the group whose rule it is
    group_name: str = ""
    direction: str = "ingress"  # ingress | egress
    protocol: str = "-1"  # tcp, udp, icmp, or -1 for all
    from_port: int | None = None
    to_port: int | None = None

    @property
    def ports(self) -> str:
        """`tcp 5432`, `tcp 8000-8099`, `all traffic` — as the console shows a rule."""
        if self.protocol == "-1":
            return "all traffic"
        if self.from_port is None or self.from_port == -1:
            return self.protocol
        span = str(self.from_port) if self.from_port == self.to_port else f"{self.from_port}-{self.to_port}"
        return f"{self.protocol} {span}"

    def describe(self) -> str:
        name = f" ({self.group_name})" if self.group_name else ""
        return f"{self.group_id}{name} {self.direction} {self.ports}"


class SecurityGroupUse(Frozen):
    id: str
    name: str
    vpc_id: str | None = None
    description: str = ""
    interfaces: int = 0  # network interfaces the group is attached to
    # other groups' rules that reference this group: AWS refuses to delete it (DependencyViolation)
    referenced_by: tuple[GroupReference, ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    # every rule, one "<protocol>:<from>-<to>:<source>" per source (drift_models.rule_key)
    ingress: tuple[str, ...] = ()
    egress: tuple[str, ...] = ()


class Secret(Frozen):
    arn: str
    name: str
    created: datetime | None = None
    last_accessed: datetime | None = None
    last_changed: datetime | None = None
    last_rotated: datetime | None = None
    next_rotation: datetime | None = None
    rotation_enabled: bool = False
    rotation_days: int | None = None  # RotationRules.AutomaticallyAfterDays
    owning_service: str | None = None


class DbSnapshot(Frozen):
    id: str
    instance: str
    type: str  # automated | manual | awsbackup
    status: str
    created: datetime | None = None


class BucketReplication(Frozen):
    bucket: str
    configured: bool  # a replication configuration exists
    rules: list[tuple[str, str, str]] = Field(default_factory=list)  # (rule id, status, destination bucket)


class Certificate(Frozen):
    arn: str
    domain: str
    status: str
    type: str | None = None  # AMAZON_ISSUED | IMPORTED | PRIVATE
    not_after: datetime | None = None
    renewal_status: str | None = None  # PENDING_AUTO_RENEWAL | PENDING_VALIDATION | SUCCESS | FAILED
    renewal_reason: str | None = None
    in_use_by: list[str] = Field(default_factory=list)


class CredentialReportRow(Frozen):
    """One user of the IAM credential report (the root account is row `<root_account>`)."""

    user: str
    arn: str
    password_enabled: bool
    mfa_active: bool
    # (key slot 1|2, active, last rotated)
    keys: list[tuple[int, bool, datetime | None]] = Field(default_factory=list)
    created: datetime | None = None
    password_last_used: datetime | None = None
    keys_last_used: dict[int, datetime | None] = Field(default_factory=dict)  # key slot -> last used


class ServiceUse(Frozen):
    namespace: str
    name: str
    last_authenticated: datetime | None = None


class AccessAdvice(Frozen):
    """Access advisor for one role or user: granted services and when each was last used."""

    arn: str
    name: str
    kind: str  # role | user
    job_id: str
    status: str  # COMPLETED | FAILED | TIMEOUT
    error: str | None = None
    services: list[ServiceUse] = Field(default_factory=list)


class Principal(Frozen):
    """A role, user or customer-managed policy with every policy document that applies to it."""

    kind: str  # role | user | policy
    name: str
    arn: str
    # (source label, policy document) e.g. ("inline:deploy", {...}), ("managed:AdministratorAccess", {...})
    documents: list[tuple[str, dict[str, Any]]] = Field(default_factory=list)
    path: str = "/"
    attached_policy_arns: list[str] = Field(default_factory=list)  # managed policies attached (roles)
    tags: dict[str, str] = Field(default_factory=dict)


class AuthorizationDetails(Frozen):
    roles: list[Principal] = Field(default_factory=list)
    users: list[Principal] = Field(default_factory=list)
    policies: list[Principal] = Field(default_factory=list)  # customer-managed only
