"""A procedure's IAM policy is derived from what it declares: its kinds' IAM actions, its planner's own and
the checks it reads; what is not an IAM action (Kubernetes RBAC, local needs) is kept out of the policy."""

from __future__ import annotations

import pytest

from opsbook.core.checks import CADENCES, CHECKS
from opsbook.engine.iam_procedures import access_of, is_read, procedure_specs
from opsbook.procedures.kinds import KINDS
from opsbook.procedures.registry import ProcedureSpec, procedure
from opsbook.providers.aws.actions import IAM_ACTION


def test_every_procedure_derives_from_its_kinds_and_reads() -> None:
    for spec in procedure_specs(["all"]):
        access = access_of(spec)  # raises for a `reads` that names no check or cadence
        assert all(c in CHECKS or CADENCES.match(c) for c in spec.reads), spec.name
        for kind in spec.kinds:
            for p in KINDS.get(kind).permissions:
                assert p in (access.actions if IAM_ACTION.match(p) else access.outside_iam), (spec.name, p)
        assert set(spec.permissions) <= set(access.actions)
        assert all(is_read(a) for a in access.reads) and not any(is_read(a) for a in access.writes)


def test_a_procedure_permission_must_be_an_iam_action() -> None:
    from opsbook.core.registry import Registry

    reg: Registry[ProcedureSpec] = Registry("test procedures")
    with pytest.raises(ValueError, match="permissions must be IAM actions"):
        procedure("x-y", title="t", section="Cost Optimization / x", kinds=("ebs-volume",),
                  permissions=("list pods",), registry=reg)(lambda cfg, p, r: None)  # type: ignore[arg-type,return-value]  # fmt: skip


def test_a_cadence_in_reads_brings_all_its_checks() -> None:
    (upgrade,) = procedure_specs(["eks-upgrade"])
    actions = set(access_of(upgrade).reads)
    for check in CHECKS:
        if "upgrade" in check.cadence and check.target_kind.value == "aws":
            assert set(check.all_permissions()) <= actions, check.id
