"""The seeded Velero objects agree with their schedules: every scheduled backup started at one of its cron's
times, finished before now, and carries that time in its name; each schedule's lastBackup is its newest
backup. Checked at many moments of the week, because the seed is relative to `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsbook.collect.k8s import convert
from opsbook.core import cron
from opsbook.sandbox.k8s import seed_objects

START = datetime(2025, 6, 1, 0, 7, tzinfo=UTC)  # a Sunday
EDGES = [datetime(2025, 6, 2, 2, 10, tzinfo=UTC), datetime(2025, 6, 1, 3, 5, tzinfo=UTC)]  # just after a run
MOMENTS = [*EDGES, *(START + timedelta(hours=h, minutes=11 * h) for h in range(0, 7 * 24, 5))]


def velero(now: datetime) -> list[dict[str, Any]]:
    return [o for o in seed_objects(now) if o["apiVersion"] == "velero.io/v1"]


@pytest.mark.parametrize("now", MOMENTS, ids=lambda m: m.strftime("%a-%H%M"))
def test_backups_run_when_their_schedule_says(now: datetime) -> None:
    objs = velero(now)
    schedules = {o["metadata"]["name"]: convert.velero_schedule(o) for o in objs if o["kind"] == "Schedule"}
    backups = [convert.velero_backup(o) for o in objs if o["kind"] == "Backup"]
    assert {b.schedule for b in backups} - {None} == set(schedules)
    for b in backups:
        assert b.started and b.completed and b.created == b.started <= b.completed <= now, b.name
        if b.schedule is None:
            continue
        assert cron.parse(schedules[b.schedule].cron).matches(b.started), f"{b.name} at {b.started:%a %H:%M}"
        assert b.name == f"{b.schedule}-{b.started:%Y%m%d%H%M%S}"
    for name, sched in schedules.items():
        assert sched.last_backup == max(b.started for b in backups if b.schedule == name and b.started)


@pytest.mark.parametrize("now", MOMENTS[::4], ids=lambda m: m.strftime("%a-%H%M"))
def test_daily_is_on_time_and_weekly_is_late_whenever_the_check_runs(now: datetime) -> None:
    backups = [convert.velero_backup(o) for o in velero(now) if o["kind"] == "Backup"]
    newest = {
        name: max(b.when for b in backups if b.schedule == name and b.phase == "Completed" and b.when)
        for name in ("daily-backup", "weekly-full")
    }
    assert now - newest["daily-backup"] <= cron.interval("0 2 * * *") + timedelta(
        hours=2
    )  # the default grace
    assert now - newest["weekly-full"] > cron.interval("0 3 * * 0") + timedelta(hours=24)
    restore = next(o for o in velero(now) if o["kind"] == "Restore")
    assert restore["spec"]["backupName"] in {b.name for b in backups}
    assert convert.when(restore["status"]["completionTimestamp"]) <= now  # type: ignore[operator]
