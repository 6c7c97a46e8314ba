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
from typing import Any, TypeVar, get_args, overload

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from opsbook.core.collectors import COLLECTORS, CollectorSpec, Key, key_name, permissions_of
from opsbook.core.config import Config, check_settings, config_error
from opsbook.core.models import (
    Finding,
    Proposal,
    Resource,
    Severity,
    Status,
    Target,
    TargetKind,
    compact_details,
    shared_proposal,
)
from opsbook.core.registry import Registry
from opsbook.core.settings import STRICT, CheckSettings, is_strict

T = TypeVar("T")
CADENCES = re.compile(
    r"^(daily|weekly:(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|monthly:(audit|capacity|compliance)|upgrade)$"
)
# `upgrade`: not on the calendar; run before an upgrade (`opsbook upgrade check`, the eks-upgrade planner)
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


class NoSettings(CheckSettings):
    pass


def strict_settings(model: type[BaseModel]) -> type[BaseModel]:
    """`model` itself when it forbids unknown keys and is frozen, else a subclass that does (same name)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ValueError(f"settings {model!r} is not a pydantic model")
    if is_strict(model):
        return model
    attrs = {
        "model_config": STRICT,
        "__module__": model.__module__,
        "__qualname__": model.__qualname__,
        "__doc__": model.__doc__,
    }
    return type(model.__name__, (model,), attrs)


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
    default_enabled: bool = True  # False: opt-in, runs only with `checks.<id>.enabled: true`

    def all_permissions(self, collectors: Registry[CollectorSpec] | None = None) -> tuple[str, ...]:
        """What the check needs granted: its own extra permissions plus those of every collector it reads,
        transitively (sorted, each once)."""
        return tuple(sorted(set(self.permissions) | permissions_of(self.needs, collectors)))

    def account_wide(self, collectors: Registry[CollectorSpec] | None = None) -> bool:
        """True when everything it reads is account-wide: it runs once per account, not per region."""
        reg = collectors if collectors is not None else COLLECTORS
        return bool(self.needs) and all(reg.get(k).scope == "account" for k in self.needs)

    def validate(self) -> None:
        problems = []
        if not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", self.id):
            problems.append("id must look like 'service.what' (lowercase, dots)")
        if not self.title:
            problems.append("title is empty")
        if not self.section.startswith(GUIDE_SECTIONS):
            problems.append(f"section {self.section!r} does not name a guide section")
        if not self.cadence or any(not CADENCES.match(c) for c in self.cadence):
            problems.append(
                f"cadence {self.cadence!r} is not daily / weekly:<day> / monthly:<part> / upgrade"
            )
        if not self.remediation:
            problems.append("remediation is empty")
        if self.fixed_by and f"opsbook plan {self.fixed_by}" not in self.remediation:
            problems.append(f"remediation must name its procedure (`opsbook plan {self.fixed_by} ...`)")
        if not is_strict(self.settings):
            problems.append("settings must forbid unknown keys and be frozen (CheckSettings)")
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
    needs: tuple[Key[Any] | str, ...],
    remediation: str,
    permissions: tuple[str, ...] = (),
    target_kind: TargetKind = TargetKind.AWS,
    settings: type[BaseModel] = NoSettings,
    fixed_by: str | None = None,
    default_enabled: bool = True,
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
            needs=tuple(key_name(k) for k in needs),
            permissions=permissions,
            remediation=remediation,
            fn=fn,
            settings=strict_settings(settings),
            fixed_by=fixed_by,
            default_enabled=default_enabled,
        )
        spec.validate()
        (registry if registry is not None else CHECKS).add(id, spec)
        return fn

    return register


BOUNDS = ("ge", "gt", "le", "lt", "min_length", "max_length")


def type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and not get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def settings_doc(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """Each setting of a check: its type, its default (a default_factory's value too) and description."""
    out: dict[str, dict[str, Any]] = {}
    for name, f in model.model_fields.items():
        default = None if f.is_required() else f.get_default(call_default_factory=True)
        entry: dict[str, Any] = {
            "type": type_name(f.annotation),
            "default": to_jsonable_python(default),
        }
        if f.is_required():
            entry["required"] = True
        if f.description:
            entry["description"] = f.description
        for meta in f.metadata:  # the bounds as declared (Field(ge=..., le=...))
            for bound in BOUNDS:
                if getattr(meta, bound, None) is not None:
                    entry[bound] = getattr(meta, bound)
        out[name] = entry
    return out


def validate_check_config(cfg: Config, registry: Registry[CheckSpec] | None = None) -> None:
    """Every entry under `checks:` names a registered check and its settings validate (unknown keys
    included), else ConfigError with file:line:col: a setting that is silently not applied never runs."""
    reg = registry if registry is not None else CHECKS
    for cid in cfg.checks:
        if cid not in reg:
            raise config_error(cfg, ("checks", cid), "unknown check (see `opsbook checks list`)")
        check_settings(cfg, cid, reg.get(cid).settings)


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

    @overload
    def __getitem__(self, key: Key[T]) -> T: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...
    def __getitem__(self, key: Key[Any] | str) -> Any:
        return self.inventory[key_name(key)]

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
            proposal=shared_proposal(proposal) if proposal is not None else None,
            check_id=self.spec.id,
            status=status,
            severity=severity or self.severity or self.spec.severity,
            target=self.target,
            resource=resource,
            message=message,
            details=compact_details(details),
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
