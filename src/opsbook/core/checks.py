"""What a check is: validated metadata plus a pure function over collected inventory.

A check module looks like::

    class Settings(BaseModel):
        cpu_percent: float = 80.0

    @check(id="rds.cpu_high", title=..., section="Daily Operations / Performance Checks",
           cadence=("daily",), severity=Severity.MEDIUM, needs=("rds.instances", "rds.cpu_1h"),
           permissions=("rds:DescribeDBInstances", "cloudwatch:GetMetricData"),
           remediation="...", settings=Settings)
    def rds_cpu_high(ctx: CheckContext) -> Iterable[Finding]:
        ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from opsbook.core.models import Finding, Proposal, Resource, Severity, Status, Target, TargetKind
from opsbook.core.registry import Registry

CADENCES = re.compile(
    r"^(daily|weekly:(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|monthly:(audit|capacity|compliance))$"
)
GUIDE_SECTIONS = (
    "Daily Operations",
    "Weekly Tasks",
    "Monthly Tasks",
    "Scaling Procedures",
    "Upgrade Procedures",
    "Backup & Restore",
    "Security Operations",
    "Cost Optimization",
    "Incident Response",
    "Maintenance Windows",
)


class NoSettings(BaseModel):
    pass


CheckFn = Callable[["CheckContext"], Iterable[Finding]]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    section: str
    cadence: tuple[str, ...]
    severity: Severity
    target_kind: TargetKind
    needs: tuple[str, ...]
    permissions: tuple[str, ...]
    remediation: str
    fn: CheckFn
    settings: type[BaseModel] = NoSettings
    fixed_by: str | None = None  # the procedure whose plan fixes its failures (they carry a Proposal)

    def validate(self) -> None:
        problems = []
        if not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", self.id):
            problems.append("id must look like 'service.what' (lowercase, dots)")
        if not self.title:
            problems.append("title is empty")
        if not self.section.startswith(GUIDE_SECTIONS):
            problems.append(f"section {self.section!r} does not name a guide section")
        if not self.cadence or any(not CADENCES.match(c) for c in self.cadence):
            problems.append(f"cadence {self.cadence!r} is not daily / weekly:<day> / monthly:<part>")
        if not self.permissions:
            problems.append("permissions are empty")
        if not self.remediation:
            problems.append("remediation is empty")
        if self.fixed_by and f"opsbook plan {self.fixed_by}" not in self.remediation:
            problems.append(f"remediation must name its procedure (`opsbook plan {self.fixed_by} ...`)")
        if problems:
            raise ValueError(f"check {self.id}: " + "; ".join(problems))


CHECKS: Registry[CheckSpec] = Registry("checks")


def check(
    *,
    id: str,
    title: str,
    section: str,
    cadence: tuple[str, ...],
    severity: Severity,
    needs: tuple[str, ...],
    permissions: tuple[str, ...],
    remediation: str,
    target_kind: TargetKind = TargetKind.AWS,
    settings: type[BaseModel] = NoSettings,
    fixed_by: str | None = None,
    registry: Registry[CheckSpec] | None = None,
) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        spec = CheckSpec(
            id=id,
            title=title,
            section=section,
            cadence=cadence,
            severity=severity,
            target_kind=target_kind,
            needs=needs,
            permissions=permissions,
            remediation=remediation,
            fn=fn,
            settings=settings,
            fixed_by=fixed_by,
        )
        spec.validate()
        (registry if registry is not None else CHECKS).add(id, spec)
        return fn

    return register


@dataclass
class CheckContext:
    """Everything a check may read. Checks do no I/O: they read `inventory` and return findings."""

    spec: CheckSpec
    target: Target
    inventory: Mapping[str, Any]
    settings: Any
    now: datetime
    severity: Severity | None = None  # configured override of spec.severity
    extras: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.inventory[key]

    def finding(
        self,
        status: Status,
        message: str,
        resource: Resource | None = None,
        severity: Severity | None = None,
        /,
        **details: Any,
    ) -> Finding:
        """`details` may hold `proposal=Proposal(...)` (failures a procedure can fix): it becomes the
        finding's typed proposal, not a details key."""
        proposal = details.pop("proposal", None)
        if proposal is not None and not isinstance(proposal, Proposal):
            raise TypeError(f"check {self.spec.id}: proposal must be a Proposal")
        if proposal is not None and proposal.procedure != self.spec.fixed_by:
            raise ValueError(
                f"check {self.spec.id}: proposes procedure {proposal.procedure!r} but is fixed_by {self.spec.fixed_by!r}"
            )
        return Finding(
            proposal=proposal,
            check_id=self.spec.id,
            status=status,
            severity=severity or self.severity or self.spec.severity,
            target=self.target,
            resource=resource,
            message=message,
            details=details,
            remediation=self.spec.remediation,
        )

    def passed(self, message: str, resource: Resource | None = None, /, **details: Any) -> Finding:
        return self.finding(Status.PASS, message, resource, None, **details)

    def failed(
        self,
        message: str,
        resource: Resource | None = None,
        severity: Severity | None = None,
        /,
        **details: Any,
    ) -> Finding:
        return self.finding(Status.FAIL, message, resource, severity, **details)

    def skipped(self, message: str, resource: Resource | None = None, /, **details: Any) -> Finding:
        return self.finding(Status.SKIPPED, message, resource, None, **details)
