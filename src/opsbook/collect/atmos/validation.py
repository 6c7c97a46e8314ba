"""The Atmos stacks tree, validated once per run (the guide's `atmos workflow validate`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from opsbook.core.collectors import CollectContext, collector
from opsbook.core.errors import InputError, OpsbookError
from opsbook.core.models import TargetKind


class StackProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None = None
    message: str


class StacksValidation(BaseModel):
    model_config = ConfigDict(frozen=True)

    stacks: list[str] = Field(default_factory=list)  # stack names that resolved
    problems: list[StackProblem] = Field(default_factory=list)


@collector("atmos.validation", permissions=("read the stacks tree",), target_kind=TargetKind.ATMOS)
def validation(ctx: CollectContext) -> StacksValidation:
    from opsbook.providers.atmos.resolver import Stacks
    from opsbook.providers.atmos.validate import validate_stacks

    where = ctx.config.stacks.atmos_config if ctx.config.stacks else None
    problems = [StackProblem(file=p.file, line=p.line, message=p.message) for p in validate_stacks(where)]
    try:
        names = sorted(Stacks.load(where).describe_stacks())
    except OpsbookError as exc:
        if not problems:
            raise InputError(str(exc)) from None
        names = []
    return StacksValidation(stacks=names, problems=problems)
