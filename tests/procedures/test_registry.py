"""The procedure registry refuses a procedure whose metadata would mislead a user."""

from __future__ import annotations

import pytest

from opsbook.core.registry import DuplicateRegistration, Registry
from opsbook.procedures.registry import PlanRequest, ProcedureParams, ProcedureSpec, procedure


def planner(cfg, params, request: PlanRequest):  # type: ignore[no-untyped-def]
    raise AssertionError("never planned here")


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"section": "Somewhere Else"}, "does not name a guide section"),
        ({"kinds": ()}, "kinds are empty"),
        ({"name": "Has Spaces"}, "lowercase words"),
    ],
)
def test_bad_metadata_is_refused_at_registration(kwargs: dict, problem: str) -> None:
    args = {"name": "scale-nodegroup", "section": "Scaling Procedures / EKS", "kinds": ("x",)} | kwargs
    name = args.pop("name")
    with pytest.raises(ValueError, match=problem):
        procedure(name, title="t", registry=Registry("test"), **args)(planner)


def test_params_must_be_strict_and_names_unique() -> None:
    from pydantic import BaseModel

    class Loose(BaseModel):
        x: int = 1

    reg: Registry[ProcedureSpec] = Registry("test")
    with pytest.raises(ValueError, match="ProcedureParams"):
        procedure("p", title="t", section="Scaling Procedures", kinds=("x",), params=Loose, registry=reg)(  # type: ignore[arg-type]
            planner
        )
    procedure("p", title="t", section="Scaling Procedures", kinds=("x",), registry=reg)(planner)
    with pytest.raises(DuplicateRegistration):
        procedure("p", title="t", section="Scaling Procedures", kinds=("x",), registry=reg)(planner)

    class Strict(ProcedureParams):
        x: int = 1

    with pytest.raises(ValueError, match="Extra inputs"):
        Strict.model_validate({"x": 2, "y": 3})


def test_every_check_that_proposes_names_a_registered_procedure_in_its_remediation() -> None:
    from opsbook.core.checks import CHECKS
    from opsbook.engine import procedures as planning
    from opsbook.engine.selection import load_builtin
    from opsbook.procedures.registry import PROCEDURES

    load_builtin()
    planning.load_all()
    fixers = [s for s in CHECKS if s.fixed_by]
    assert {s.id for s in fixers} >= {
        "ec2.unattached_volumes",
        "ec2.old_snapshots",
        "s3.no_intelligent_tiering",
    }
    for spec in fixers:
        assert spec.fixed_by in PROCEDURES, spec.id
        assert f"opsbook plan {spec.fixed_by}" in spec.remediation, spec.id


def test_a_check_cannot_propose_a_procedure_it_is_not_fixed_by() -> None:
    from datetime import UTC, datetime

    from opsbook.core.checks import CheckContext, check
    from opsbook.core.models import Proposal, Severity, Target, TargetKind

    reg: Registry = Registry("test")
    with pytest.raises(ValueError, match="remediation must name its procedure"):
        check(id="x.y", title="t", section="Cost Optimization", cadence=("daily",), severity=Severity.LOW,
              needs=(), permissions=("ec2:DescribeVolumes",), remediation="delete it", fixed_by="cleanup",
              registry=reg)(lambda ctx: [])  # fmt: skip
    check(id="x.z", title="t", section="Cost Optimization", cadence=("daily",), severity=Severity.LOW,
          needs=(), permissions=("ec2:DescribeVolumes",), remediation="opsbook plan cleanup", fixed_by="cleanup",
          registry=reg)(lambda ctx: [])  # fmt: skip
    ctx = CheckContext(
        reg.get("x.z"), Target(kind=TargetKind.AWS, account="a", region="r"), {}, None, datetime.now(UTC)
    )
    good = ctx.failed("m", None, None, proposal=Proposal(procedure="cleanup", kind="k", action="a"))
    assert good.proposal is not None and "proposal" not in good.details
    with pytest.raises(ValueError, match="proposes procedure 'scale'"):
        ctx.failed("m", None, None, proposal=Proposal(procedure="scale", kind="k", action="a"))


def test_a_missing_required_option_is_named_not_dumped() -> None:
    from opsbook.core.errors import InputError
    from opsbook.engine.procedures import load_all, parse_params, spec_of

    load_all()
    with pytest.raises(InputError) as err:
        parse_params(spec_of("backup-rds"), {})
    assert (
        str(err.value) == "opsbook plan backup-rds: --db is required (see `opsbook plan backup-rds --help`)"
    )


def test_a_target_minor_is_taken_as_kubectl_prints_it() -> None:
    """`--to v1.33` (kubectl's spelling) is 1.33 for eks-upgrade as for `opsbook upgrade check`."""
    from opsbook.core.errors import InputError
    from opsbook.engine.procedures import load_all, parse_params, spec_of

    load_all()
    spec = spec_of("eks-upgrade")
    assert parse_params(spec, {"to": " v1.33"}).to == "1.33"  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="--to: String should match pattern"):
        parse_params(spec, {"to": "v2.0"})


def test_what_rollback_can_undo_is_read_from_the_item_kinds() -> None:
    """`opsbook apply`'s stop message and `incident act` ask the kinds, and say why a kind has no undo
    (a restart plan has no warnings to point at)."""
    from opsbook.core.models import Resource
    from opsbook.procedures import load_builtin
    from opsbook.procedures.kinds import undoable, why_no_undo
    from opsbook.procedures.plan import PlanItem

    load_builtin()

    def item(kind: str) -> PlanItem:
        return PlanItem(id="001", kind=kind, action="a", resource=Resource(id="r", type="t"), reason="r")

    restart, scale = item("k8s-restart"), item("k8s-deployment-scale")
    assert not undoable([restart]) and undoable([restart, scale])
    assert why_no_undo([restart, restart, scale]) == [
        "a restart replaced the pods; restarting again would not bring the old ones back"
    ]
