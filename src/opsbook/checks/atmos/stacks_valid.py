"""Daily: every Atmos stack parses, resolves and validates (`atmos workflow validate`)."""

from __future__ import annotations

from collections.abc import Iterable

from opsbook.collect.atmos.validation import StacksValidation
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity, TargetKind


@check(
    id="atmos.stacks_valid",
    title="Atmos stacks parse, resolve and validate",
    section="Daily Operations / Morning Health Checks",
    cadence=("daily",),
    severity=Severity.HIGH,
    needs=("atmos.validation",),
    permissions=("read the stacks tree",),
    remediation="opsbook stacks validate (the guide's `atmos workflow validate`); fix the file:line it names",
    target_kind=TargetKind.ATMOS,
)
def stacks_valid(ctx: CheckContext) -> Iterable[Finding]:
    v: StacksValidation = ctx["atmos.validation"]
    broken: set[str] = set()
    for p in v.problems:
        where = f"{p.file}:{p.line}" if p.line else p.file
        named = [s for s in v.stacks if f"'{s}'" in p.message]
        broken.update(named)
        yield ctx.failed(
            f"{where}: {p.message}", Resource(id=where, type="Atmos::Manifest"), None, stacks=named
        )
    for stack in v.stacks:
        if stack not in broken:
            yield ctx.passed(f"stack {stack} resolves and validates", Resource(id=stack, type="Atmos::Stack"))
