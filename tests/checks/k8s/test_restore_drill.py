"""velero.restore_drill on hand-built inventories: per schedule, the newest successful drill (opsbook's,
from the store, or a manual Velero Restore) within max_age_days passes with its time to restore; a schedule
whose only drills failed, or whose last success is too old, fails; paused schedules are skipped."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.k8s.drills import DrillRun, RestoreDrills, velero_restore
from opsbook.collect.k8s.models import VeleroBackup, VeleroSchedule, VeleroState
from opsbook.core.models import Status, Target, TargetKind
from tests.checks.helpers import NOW, by_status, run_check

K8S = Target(kind=TargetKind.K8S, cluster="my-cluster")


def run(source: str, backup: str, days: float, ok: bool = True, seconds: float | None = 42.5) -> DrillRun:
    return DrillRun(source=source, name=f"d-{backup}", backup=backup, at=NOW - timedelta(days=days), ok=ok,
                    restore_seconds=seconds, differences=0 if ok else 2)  # fmt: skip


def inventory(*runs: DrillRun, paused: bool = False) -> dict[str, object]:
    state = VeleroState(
        schedules=(VeleroSchedule(name="daily"), VeleroSchedule(name="weekly", paused=paused),
                   VeleroSchedule(name="hourly")),
        backups=(VeleroBackup(name="daily-1", schedule="daily"), VeleroBackup(name="weekly-1", schedule="weekly")),
    )  # fmt: skip
    return {"k8s.velero": state, "velero.restore_drills": RestoreDrills(runs=tuple(runs))}


def test_restore_drill_per_schedule() -> None:
    runs = (run("opsbook", "daily-1", 1, ok=False), run("opsbook", "daily-1", 2), run("velero", "weekly-1", 9),
            run("velero", "hourly-20261101", 1, ok=False))  # fmt: skip
    r = by_status(run_check("velero.restore_drill", inventory(*runs), target=K8S))
    [ok] = r[Status.PASS]
    assert ok.resource.id == "velero/daily" and "restored in 42.5 s" in ok.message
    assert ok.details["last_success"]["restore_seconds"] == 42.5 and ok.details["age_days"] == 2
    assert ok.details["last_attempt"]["ok"] is False  # the newest attempt failed; the success still counts
    fails = {f.resource.id: f for f in r[Status.FAIL]}
    assert set(fails) == {"velero/weekly", "velero/hourly"}
    assert "older than 7 days" in fails["velero/weekly"].message
    assert "no successful restore drill" in fails["velero/hourly"].message  # matched by name: backup gone
    relaxed = by_status(run_check("velero.restore_drill", inventory(*runs), {"max_age_days": 10}, target=K8S))
    assert {f.resource.id for f in relaxed[Status.PASS]} == {"velero/daily", "velero/weekly"}
    paused = by_status(run_check("velero.restore_drill", inventory(*runs, paused=True), target=K8S))
    assert [f.resource.id for f in paused[Status.SKIPPED]] == ["velero/weekly"]
    assert not run_check("velero.restore_drill", {"k8s.velero": VeleroState(installed=False),
                                                  "velero.restore_drills": RestoreDrills()}, target=K8S)  # fmt: skip


def test_manual_restore_is_a_drill_timed_by_velero() -> None:
    done = velero_restore({"metadata": {"name": "r"}, "spec": {"backupName": "daily-1"},
                           "status": {"phase": "PartiallyFailed", "startTimestamp": "2026-11-27T07:00:00Z",
                                      "completionTimestamp": "2026-11-27T07:09:30Z"}})  # fmt: skip
    assert (
        done is not None
        and not done.ok
        and done.restore_seconds == 570
        and "PartiallyFailed" in str(done.problem)
    )
    assert velero_restore({"metadata": {"name": "r"}, "status": {"phase": "InProgress"}}) is None
