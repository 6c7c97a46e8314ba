"""Tuesday: Velero backups (`kubectl get backups -n velero`): each schedule's latest Completed backup is
recent, and no backup Failed or PartiallyFailed in the last days.

"Recent" is per schedule, from its own cron (`spec.schedule`): the longest gap between two of its runs plus
`grace_hours`, so a weekly schedule is allowed a week and a daily one a day (`core/cron.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel, Field

from opsbook.checks.k8s.common import object_resource
from opsbook.collect.k8s.models import VeleroBackup, VeleroSchedule, VeleroState
from opsbook.core import cron
from opsbook.core.checks import CheckContext, check
from opsbook.core.models import Finding, Resource, Severity, TargetKind

FAILED_PHASES = ("Failed", "PartiallyFailed")


class Settings(BaseModel):
    grace_hours: float = Field(
        2, ge=0, description="a schedule's latest Completed backup may be its cron's interval plus this old"
    )
    max_age_hours: float | None = Field(
        None,
        gt=0,
        description="one fixed limit for every schedule instead (unset: from each schedule's cron)",
    )
    schedule_max_age_hours: dict[str, float] = Field(
        default_factory=dict, description="fixed limits for named schedules (e.g. weekly-full: 200)"
    )
    failed_window_days: int = Field(
        7, ge=1, description="Failed or PartiallyFailed backups started within this many days fail"
    )


def allowed_age(sched: VeleroSchedule, s: Settings) -> tuple[float | None, str]:
    """(hours, why) the schedule's latest Completed backup may be old; hours None when its cron cannot be
    read (why says so)."""
    if sched.name in s.schedule_max_age_hours:
        return s.schedule_max_age_hours[sched.name], "schedule_max_age_hours"
    if s.max_age_hours is not None:
        return s.max_age_hours, "max_age_hours"
    try:
        every = cron.interval(sched.cron) / timedelta(hours=1)
    except cron.CronError as exc:
        return None, str(exc)
    return every + s.grace_hours, f"runs every {every:g} h + {s.grace_hours:g} h grace"


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
        limit, basis = allowed_age(sched, s)
        done = [b for b in state.backups if b.schedule == sched.name and b.phase == "Completed" and b.when]
        latest = max(done, key=lambda b: b.when or ctx.now, default=None)
        info = {"cron": sched.cron, "max_age_hours": limit, "limit_from": basis, "completed_backups": len(done),
                "latest_backup": latest.name if latest else None,
                "latest_at": _stamp(latest) if latest else None}  # fmt: skip
        if sched.paused:
            yield ctx.skipped(f"schedule {sched.name} is paused", res, **info)
        elif limit is None:
            yield ctx.failed(f"schedule {sched.name}: cannot tell how often it runs ({basis}); set "
                             f"schedule_max_age_hours.{sched.name}", res, None, **info)  # fmt: skip
        elif latest is None or latest.when is None:
            yield ctx.failed(
                f"schedule {sched.name} ({sched.cron}) has no Completed backup", res, None, **info
            )
        else:
            age = round((ctx.now - latest.when) / timedelta(hours=1), 1)
            msg = f"schedule {sched.name}: latest Completed backup {latest.name} is {age:g} h old"
            if age > limit:
                yield ctx.failed(f"{msg} (> {limit:g} h: {basis})", res, None, age_hours=age, **info)
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
