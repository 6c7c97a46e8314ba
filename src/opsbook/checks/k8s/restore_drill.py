"""Tuesday: "Test restore procedure (in test environment)": each Velero schedule's backups were restored
successfully within `max_age_days`, by `opsbook drill restore` (restored and compared, recorded in the
store) or by hand (`velero restore create --from-backup ...`: a Completed Restore). The details carry
the last successful drill's time to restore and the last attempt, successful or not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from opsbook.checks.k8s.common import object_resource
from opsbook.collect.k8s.drills import DrillRun, RestoreDrills
from opsbook.collect.k8s.models import VeleroState
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Severity, TargetKind


class Settings(BaseModel):
    max_age_days: float = Field(
        7,
        gt=0,
        description="each schedule's backups must have been restored successfully within this many days",
    )


def _run(r: DrillRun | None) -> dict[str, object] | None:
    if r is None:
        return None
    return {"source": r.source, "name": r.name, "backup": r.backup, "at": r.at.isoformat(), "ok": r.ok,
            "restore_seconds": r.restore_seconds, "differences": r.differences, "problem": r.problem}  # fmt: skip


@check(
    id="velero.restore_drill",
    title="Restore drills: each Velero schedule's backups restored successfully within max_age_days",
    section="Weekly Tasks / Tuesday: Backup Verification",
    cadence=("weekly:tuesday",),
    severity=Severity.MEDIUM,
    target_kind=TargetKind.K8S,
    needs=("k8s.velero", "velero.restore_drills"),
    remediation="opsbook drill restore --cluster <cluster> (restores each schedule's latest backup into "
    "scratch namespaces, compares, cleans up)",
    settings=Settings,
)
def restore_drill(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    state: VeleroState = ctx["k8s.velero"]
    drills: RestoreDrills = ctx["velero.restore_drills"]
    if not state.installed:
        return  # k8s.velero_backups reports a cluster without Velero
    schedule_of = {b.name: b.schedule for b in state.backups}
    since = ctx.now - timedelta(days=s.max_age_days)
    for sched in sorted(state.schedules, key=lambda x: x.name):
        res = object_resource("Schedule", state.namespace, sched.name)
        mine = [r for r in drills.runs
                if schedule_of.get(r.backup, sched.name if r.backup.startswith(f"{sched.name}-") else None)
                == sched.name]  # fmt: skip
        good = next((r for r in mine if r.ok), None)
        info = {
            "max_age_days": s.max_age_days,
            "last_success": _run(good),
            "last_attempt": _run(mine[0] if mine else None),
        }
        if sched.paused:
            yield ctx.skipped(f"schedule {sched.name} is paused", res, **info)
        elif good is None:
            yield ctx.failed(
                f"schedule {sched.name}: no successful restore drill on record", res, None, **info
            )
        else:
            age = round((ctx.now - good.at) / timedelta(days=1), 1)
            took = f"{good.restore_seconds:g} s" if good.restore_seconds is not None else "unknown time"
            msg = (f"schedule {sched.name}: last successful restore drill {good.at:%Y-%m-%d %H:%M} ({age:g} days "
                   f"ago, {good.source}): backup {good.backup} restored in {took}")  # fmt: skip
            if good.at < since:
                yield ctx.failed(
                    f"{msg}; older than {s.max_age_days:g} days", res, None, age_days=age, **info
                )
            else:
                yield ctx.passed(msg, res, age_days=age, **info)
