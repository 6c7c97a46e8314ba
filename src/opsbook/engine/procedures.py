"""Planning any registered procedure: what `opsbook plan NAME`, the web app and a scheduler call.

`load_all()` registers every procedure (their planners live in the engine, next to the checks they run)
and every item kind; `make_plan` validates the parameters against the procedure's model and runs its
planner, read-only.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from opsbook.core.config import Config
from opsbook.core.errors import InputError, NotFound, PlanMismatch
from opsbook.core.yamlfile import quoted
from opsbook.procedures import load_builtin as load_kinds
from opsbook.procedures.plan import Plan
from opsbook.procedures.registry import PROCEDURES, PlanRequest, ProcedureParams, ProcedureSpec

# The engine modules that register a procedure (`@procedure`). One line per procedure.
PLANNERS = (
    "opsbook.engine.autoscale",
    "opsbook.engine.backup_all",
    "opsbook.engine.backup_rds",
    "opsbook.engine.backup_tfstate",
    "opsbook.engine.blue_green",
    "opsbook.engine.cleanup",
    "opsbook.engine.eks_upgrade",
    "opsbook.engine.maintenance_plan",
    "opsbook.engine.promote",
    "opsbook.engine.rotate_certificate",
    "opsbook.engine.remove_users",
    "opsbook.engine.reconcile",
    "opsbook.engine.restart",
    "opsbook.engine.restore_tfstate",
    "opsbook.engine.rollout",
    "opsbook.engine.rotate_secret",
    "opsbook.engine.scaling",
    "opsbook.engine.scale_nodegroup",
    "opsbook.engine.scale_rds",
    "opsbook.engine.stack_set",
    "opsbook.engine.velero",
)


def load_all() -> None:
    import importlib

    load_kinds()
    for module in PLANNERS:
        importlib.import_module(module)


def spec_of(name: str) -> ProcedureSpec:
    load_all()
    if name not in PROCEDURES:
        have = ", ".join(PROCEDURES.keys()) or "none"
        raise NotFound(f"unknown procedure {name!r} (have: {have}; see `opsbook procedures list`)")
    return PROCEDURES.get(name)


def parse_params(spec: ProcedureSpec, raw: dict[str, Any]) -> ProcedureParams:
    """`raw` (option name -> value; None means not given) as the procedure's parameters, or InputError
    naming the option."""
    given = {k: v for k, v in raw.items() if v is not None and v != []}
    try:
        return spec.params.model_validate(given)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "--" + "-".join(str(p) for p in err["loc"][:1]).replace("_", "-") if err["loc"] else spec.name
        if err["type"] == "missing":  # its input is the whole params dict: say what to give instead
            raise InputError(
                f"opsbook plan {spec.name}: {name} is required (see `opsbook plan {spec.name} --help`)"
            ) from None
        got = f", got {quoted(err.get('input'))}" if "input" in err else ""
        raise InputError(f"opsbook plan {spec.name}: {name}: {err['msg']}{got}") from None


def make_plan(cfg: Config, name: str, raw: dict[str, Any], request: PlanRequest) -> Plan:
    spec = spec_of(name)
    params = parse_params(spec, raw)
    plan = spec.planner(cfg, params, request)
    unknown = sorted({i.kind for i in plan.items} - set(spec.kinds))
    if unknown:  # a planner bug, caught before a plan that apply would refuse is written
        raise PlanMismatch(f"procedure {name} planned item kinds it does not declare: {', '.join(unknown)}")
    return plan
