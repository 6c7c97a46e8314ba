"""The least-privilege IAM policy of procedures: what planning and applying them calls in AWS.

A procedure's AWS actions are derived from what it declares (procedures/registry.py): its item kinds'
`permissions` (each step's re-check, action and undo), its own `permissions` (what the planner and the
wait conditions call) and the permissions of the checks it `reads` (those its planner runs and its health
gates name; a cadence there means all its checks, e.g. the upgrade pre-flight's). Kinds also declare
Kubernetes RBAC verbs and needs outside AWS ("write the stack manifest"); they are not IAM actions and are
listed apart (`outside_iam`), never put in a policy.

Each procedure gets two statements, its reads and its writes (`Sid` Opsbook<Name>Read / ...Write), with
Resource "*": the resources a plan touches are chosen when it is made (which volume, which snapshot name),
so a policy written before the plan cannot name them; the plan engine is what keeps an apply to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from opsbook.core.checks import CADENCES, CHECKS, CheckSpec
from opsbook.core.errors import InputError
from opsbook.core.models import TargetKind
from opsbook.engine.procedures import load_all
from opsbook.engine.selection import load_builtin
from opsbook.procedures.kinds import KINDS
from opsbook.procedures.registry import PROCEDURES, ProcedureSpec
from opsbook.providers.aws.actions import IAM_ACTION

# an action whose operation starts with one of these only reads (everything else changes something); IAM's
# Generate* (credential report, access advisor) and CloudWatch Logs' StartQuery are reads in IAM's own terms
READ_VERBS = ("Describe", "Get", "List", "Head", "Lookup", "Search", "Filter", "Select", "GET", "Download",
              "Generate", "StartQuery")  # fmt: skip


@dataclass(frozen=True)
class ProcedureAccess:
    name: str
    reads: tuple[str, ...]  # IAM actions that only read
    writes: tuple[str, ...]  # IAM actions that change something
    outside_iam: tuple[str, ...]  # Kubernetes RBAC and other needs its kinds declare

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(sorted({*self.reads, *self.writes}))


def is_read(action: str) -> bool:
    return action.split(":", 1)[1].startswith(READ_VERBS)


def procedure_specs(names: Iterable[str]) -> list[ProcedureSpec]:
    """The procedures named (`all`: every one), sorted by name; InputError for a name none has."""
    load_all()
    names = list(dict.fromkeys(names))
    if "all" in names:
        return sorted(PROCEDURES, key=lambda s: s.name)
    for n in names:
        if n not in PROCEDURES:
            have = ", ".join(sorted(PROCEDURES.keys()))
            raise InputError(f"--procedure {n!r}: no such procedure (have: {have}, or all)")
    return sorted((PROCEDURES.get(n) for n in names), key=lambda s: s.name)


def access_of(spec: ProcedureSpec) -> ProcedureAccess:
    """Everything `spec` declares it may call, split into IAM reads, IAM writes and the rest."""
    load_builtin()
    declared = set(spec.permissions)
    for kind in spec.kinds:
        declared |= set(KINDS.get(kind).permissions)
    for check in read_checks(spec):
        if check.target_kind is TargetKind.AWS:
            declared |= set(check.all_permissions())
    iam = {p for p in declared if IAM_ACTION.match(p)}
    return ProcedureAccess(
        name=spec.name,
        reads=tuple(sorted(a for a in iam if is_read(a))),
        writes=tuple(sorted(a for a in iam if not is_read(a))),
        outside_iam=tuple(sorted(declared - iam)),
    )


def read_checks(spec: ProcedureSpec) -> list[CheckSpec]:
    """The checks `spec.reads` names: check ids, or a cadence for all its checks (`upgrade`)."""
    load_builtin()
    found: list[CheckSpec] = []
    for name in spec.reads:
        if name in CHECKS:
            found.append(CHECKS.get(name))
        elif CADENCES.match(name):
            found.extend(s for s in CHECKS if name in s.cadence)
        else:
            raise ValueError(f"procedure {spec.name} reads {name!r}: neither a check id nor a cadence")
    return found


def sid(name: str, part: str) -> str:
    return "Opsbook" + "".join(w.capitalize() for w in name.split("-")) + part


def statements(access: ProcedureAccess) -> list[dict[str, Any]]:
    out = []
    for part, actions in (("Read", access.reads), ("Write", access.writes)):
        if actions:
            out.append(
                {"Sid": sid(access.name, part), "Effect": "Allow", "Action": list(actions), "Resource": "*"}
            )
    return out


def procedure_policy(accesses: Iterable[ProcedureAccess]) -> dict[str, Any]:
    """One policy document for the procedures' AWS actions (read and write statements per procedure)."""
    accesses = list(accesses)
    stmts = [s for a in accesses for s in statements(a)]
    if not stmts:
        names = ", ".join(a.name for a in accesses)
        raise InputError(
            f"--procedure {names}: calls no AWS API (see `opsbook iam policy --procedure ... -f table`)"
        )
    return {"Version": "2012-10-17", "Statement": stmts}


def aws_accesses(specs: Iterable[ProcedureSpec]) -> list[ProcedureAccess]:
    """The access of each procedure in `specs` that calls AWS at all."""
    return [a for a in map(access_of, specs) if a.actions]
