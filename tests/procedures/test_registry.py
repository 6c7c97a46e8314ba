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
