"""Tuesday: Velero backups (`kubectl get backups -n velero`): each schedule's latest Completed backup is
recent, and no backup Failed or PartiallyFailed in the last days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from opsbook.checks.k8s.common import object_resource
from opsbook.collect.k8s.models import VeleroBackup, VeleroState
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity, TargetKind

FAILED_PHASES = ("Failed", "PartiallyFailed")


class Settings(BaseModel):
    max_age_hours: float = Field(
        26, gt=0, description="each schedule's latest Completed backup must be younger than this"
    )
    schedule_max_age_hours: dict[str, float] = Field(
        default_factory=dict, description="per-schedule overrides of max_age_hours (e.g. weekly-full: 170)"
    )
    failed_window_days: int = Field(
        7, ge=1, description="Failed or PartiallyFailed backups started within this many days fail"
    )


def _stamp(b: VeleroBackup) -> str | None:
    return b.when.isoformat() if b.when else None


@check(
    id="k8s.velero_backups",
    title="Velero backups: latest Completed per schedule too old, or Failed/PartiallyFailed backups",
    section="Weekly Tasks / Tuesday: Backup Verification",
    cadence=("weekly:tuesday",),
    severity=Severity.HIGH,
    target_kind=TargetKind.K8S,
    needs=("k8s.velero",),
    permissions=("list backups.velero.io", "list schedules.velero.io"),
    remediation="kubectl get backups -n velero; velero backup describe <backup> --details; "
    "velero backup logs <backup>; velero backup create <name> --from-schedule <schedule>",
    settings=Settings,
)
def velero_backups(ctx: CheckContext) -> Iterable[Finding]:
    s: Settings = ctx.settings
    state: VeleroState = ctx["k8s.velero"]
    ns = Resource(id=f"namespace/{state.namespace}", type="Namespace", name=state.namespace)
    if not state.installed:
        yield ctx.failed("Velero is not installed (no velero.io/v1 API): no cluster backups", ns, None,
                         api_enabled=False)  # fmt: skip
        return
    if not state.schedules:
        yield ctx.failed(f"no Velero backup schedules in namespace {state.namespace}", ns, None,
                         backups=len(state.backups))  # fmt: skip
    for sched in sorted(state.schedules, key=lambda x: x.name):
        res = object_resource("Schedule", state.namespace, sched.name)
        limit = s.schedule_max_age_hours.get(sched.name, s.max_age_hours)
        done = [b for b in state.backups if b.schedule == sched.name and b.phase == "Completed" and b.when]
        latest = max(done, key=lambda b: b.when or ctx.now, default=None)
        info = {"cron": sched.cron, "max_age_hours": limit, "completed_backups": len(done),
                "latest_backup": latest.name if latest else None,
                "latest_at": _stamp(latest) if latest else None}  # fmt: skip
        if sched.paused:
            yield ctx.skipped(f"schedule {sched.name} is paused", res, **info)
        elif latest is None or latest.when is None:
            yield ctx.failed(
                f"schedule {sched.name} ({sched.cron}) has no Completed backup", res, None, **info
            )
        else:
            age = round((ctx.now - latest.when) / timedelta(hours=1), 1)
            msg = f"schedule {sched.name}: latest Completed backup {latest.name} is {age:g} h old"
            if age > limit:
                yield ctx.failed(f"{msg} (> {limit:g} h)", res, None, age_hours=age, **info)
            else:
                yield ctx.passed(msg, res, age_hours=age, **info)
    since = ctx.now - timedelta(days=s.failed_window_days)
    for b in sorted(state.backups, key=lambda x: x.name):
        if b.phase not in FAILED_PHASES or b.when is None or b.when < since:
            continue
        why = f": {b.failure_reason}" if b.failure_reason else ""
        yield ctx.failed(
            f"backup {b.name} {b.phase} at {b.when:%Y-%m-%d %H:%M} ({b.errors} error(s), "
            f"{b.warnings} warning(s)){why}",
            object_resource("Backup", state.namespace, b.name),
            None,
            phase=b.phase,
            schedule=b.schedule,
            at=_stamp(b),
            errors=b.errors,
            warnings=b.warnings,
            failure_reason=b.failure_reason,
        )
