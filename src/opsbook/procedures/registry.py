"""The procedure registry: every procedure opsbook can plan and apply, in one place.

A procedure declares its name, the guide section it implements, the item kinds its plans hold, its
parameters (a frozen pydantic model: the CLI options of `opsbook plan NAME` are made from it) and its
planner. The planner only reads (collectors, checks) and returns a Plan; one generic `opsbook apply`
serves every procedure's plans (approval, limits, lock, journal, resume, audit)::

    class Params(ProcedureParams):
        kinds: list[str] = Field(default_factory=..., description="What to clean up.")

    @procedure("cleanup", title="Delete unused resources", section="Cost Optimization / ...",
               kinds=("ebs-volume", ...), params=Params)
    def plan_cleanup(cfg: Config, params: Params, request: PlanRequest) -> Plan: ...

What a procedure may touch is declared, so `opsbook iam policy --procedure NAME` can grant exactly that:
its item kinds' `permissions` (recheck, act, undo), plus on the procedure `permissions=` (the AWS actions its
planner and its wait conditions call themselves, e.g. `rds:DescribeDBInstances` to locate the instance) and
`reads=` (the check ids it runs: the checks a planner turns into items and the health gates its steps name;
their permissions are derived from their collectors).

Planners that run checks live in the engine layer (they need the engine's runner); the spec lives here so
that `apply` (this layer) can check a plan's procedure and kinds without importing planners.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from opsbook.core.checks import GUIDE_SECTIONS
from opsbook.core.config import Config
from opsbook.core.registry import Registry
from opsbook.procedures.plan import DEFAULT_TTL, Plan
from opsbook.providers.aws.actions import IAM_ACTION


class ProcedureParams(BaseModel):
    """Base of every procedure's parameters: unknown keys are refused, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class PlanRequest:
    """What every plan command takes besides the procedure's own parameters."""

    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    ttl: timedelta = DEFAULT_TTL


PlannerFn = Callable[[Config, Any, PlanRequest], Plan]
TARGET_OPTIONS = ("account", "region", "cluster")


@dataclass(frozen=True)
class ProcedureSpec:
    name: str
    title: str
    section: str  # the guide section it implements, e.g. "Cost Optimization / Implement Cost Savings"
    kinds: tuple[str, ...]  # the item kinds its plans may hold
    params: type[ProcedureParams]
    planner: PlannerFn
    examples: tuple[str, ...] = field(default=())
    # which of the target options every `opsbook plan` offers (--account, --region, --cluster) it honours:
    # the others are not offered, so none is accepted and ignored
    targets: tuple[str, ...] = TARGET_OPTIONS
    # AWS actions the planner and the wait conditions call themselves (the kinds declare their own)
    permissions: tuple[str, ...] = ()
    # check ids the planner runs and the steps gate on, or a cadence for all its checks (their permissions
    # come from their collectors)
    reads: tuple[str, ...] = ()

    def validate(self) -> None:
        problems = []
        if not self.name or not self.name.replace("-", "").isalnum() or self.name != self.name.lower():
            problems.append("name must be lowercase words joined by '-'")
        if not self.section.startswith(GUIDE_SECTIONS):
            problems.append(f"section {self.section!r} does not name a guide section")
        if not self.kinds:
            problems.append("kinds are empty")
        if not issubclass(self.params, ProcedureParams):
            problems.append("params must subclass ProcedureParams (frozen, unknown keys refused)")
        if not set(self.targets) <= set(TARGET_OPTIONS):
            problems.append(f"targets must be some of {', '.join(TARGET_OPTIONS)}")
        bad = [p for p in self.permissions if not IAM_ACTION.match(p)]
        if bad:
            problems.append(f"permissions must be IAM actions (<prefix>:<Action>), not {', '.join(bad)}")
        if problems:
            raise ValueError(f"procedure {self.name}: " + "; ".join(problems))


PROCEDURES: Registry[ProcedureSpec] = Registry("procedures")


def procedure(
    name: str,
    *,
    title: str,
    section: str,
    kinds: tuple[str, ...],
    params: type[ProcedureParams] = ProcedureParams,
    examples: tuple[str, ...] = (),
    targets: tuple[str, ...] = TARGET_OPTIONS,
    permissions: tuple[str, ...] = (),
    reads: tuple[str, ...] = (),
    registry: Registry[ProcedureSpec] | None = None,
) -> Callable[[PlannerFn], PlannerFn]:
    def register(fn: PlannerFn) -> PlannerFn:
        spec = ProcedureSpec(
            name=name,
            title=title,
            section=section,
            kinds=kinds,
            params=params,
            planner=fn,
            examples=examples,
            targets=targets,
            permissions=permissions,
            reads=reads,
        )
        spec.validate()
        (registry if registry is not None else PROCEDURES).add(name, spec)
        return fn

    return register
