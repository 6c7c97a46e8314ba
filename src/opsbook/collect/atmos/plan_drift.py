"""Plan-based drift of the stacks tree (`drift.terraform_plan`): `terraform plan -detailed-exitcode`
(refresh on) of every selected component instance, through opsbook's Terraform runner
(providers/terraform/drift.py: dependency order, bounded parallelism), and the ignores file
(core/drift.py). Terraform runs with the caller's AWS setup, or the sandbox's endpoint when opsbook is
configured for the sandbox (providers/terraform/changes.py sandbox_env). Plans run in the tree, as
`atmos terraform plan` does (the planfile has a name of its own), except in opsbook's packaged sandbox tree
(package data), which is copied to a scratch folder first."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsbook.core.collectors import CollectContext, SettingsOf, collector
from opsbook.core.drift import Ignore, InstanceSelection, ignores_path, load_ignores
from opsbook.core.models import TargetKind

CHECK_ID = "drift.terraform_plan"
PACKAGED = Path(__file__).resolve().parents[2] / "sandbox" / "stacks"  # opsbook's own tree: never written


class PlanDriftSettings(InstanceSelection):
    parallelism: int = Field(4, ge=1, le=32, description="Terraform plans at once (different folders).")


class InstanceDrift(BaseModel):
    model_config = ConfigDict(frozen=True)

    stack: str
    component: str
    file: str
    changes: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None


@collector(
    "terraform.plan_drift",
    permissions=("terraform plan of each component (its providers' read permissions and the state backend)",),
    settings=SettingsOf(CHECK_ID, PlanDriftSettings),
    target_kind=TargetKind.ATMOS,
)
def plan_drift(ctx: CollectContext) -> list[InstanceDrift]:
    from opsbook.providers.atmos.resolver import Stacks
    from opsbook.providers.terraform.changes import sandbox_env
    from opsbook.providers.terraform.drift import Instance, instances, plan_all
    from opsbook.providers.terraform.runner import TerraformRunner

    settings: PlanDriftSettings = ctx.settings
    stacks = Stacks.load(ctx.config.stacks.atmos_config if ctx.config.stacks else None)
    found = instances(stacks, settings.stacks, settings.components)
    env = sandbox_env(ctx.config)
    base = stacks.config.base_path.resolve()
    with tempfile.TemporaryDirectory(prefix="opsbook-drift-") as tmp:
        if base == PACKAGED:
            from opsbook.providers.atmos.setvalue import scratch_copy

            scratch_copy(base, Path(tmp) / "tree", [])
            stacks = Stacks.load(Path(tmp) / "tree" / stacks.config.path.resolve().relative_to(base))
            instances(stacks)  # resolve every section before the threads share the copy

        def runner(inst: Instance, lines: list[str]) -> TerraformRunner:
            return TerraformRunner(stacks, sink=lines.append, extra_env=env, color=False)

        return [
            InstanceDrift(
                stack=r.instance.stack,
                component=r.instance.component,
                file=r.instance.file,
                changes=r.changes,
                error=r.error,
            )  # fmt: skip
            for r in plan_all(runner, found, settings.parallelism)
        ]


@collector("drift.ignores", permissions=("read the drift ignores file",), target_kind=TargetKind.ATMOS)
def drift_ignores(ctx: CollectContext) -> list[Ignore]:
    return load_ignores(ignores_path(ctx.config))
