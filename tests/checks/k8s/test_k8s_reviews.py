"""The weekly and monthly Kubernetes reviews (Velero backups, HPA review, pods per node), purely."""

from __future__ import annotations

from datetime import timedelta

from opsbook.collect.k8s.models import Condition, K8sHpa, VeleroBackup, VeleroSchedule, VeleroState
from opsbook.core.models import Status
from tests.checks.helpers import NOW
from tests.checks.k8s.test_k8s_checks import check, hpa, node, pod


def backup(schedule: str | None, ago: timedelta, phase: str = "Completed", **kw) -> VeleroBackup:  # type: ignore[no-untyped-def]
    name = f"{schedule or 'manual'}-{(NOW - ago):%Y%m%d%H%M}"
    return VeleroBackup(name=name, schedule=schedule, phase=phase, created=NOW - ago,
                        started=NOW - ago, completed=NOW - ago + timedelta(minutes=4), **kw)  # fmt: skip


def velero(*backups: VeleroBackup, schedules: tuple[str, ...] = ("daily", "weekly")) -> dict:  # type: ignore[type-arg]
    scheds = tuple(VeleroSchedule(name=s, cron="0 2 * * *") for s in schedules)
    return {"k8s.velero": VeleroState(schedules=scheds, backups=backups)}


def test_velero_stale_schedules_and_failed_backups() -> None:
    inv = velero(
        backup("daily", timedelta(hours=6)),
        backup("daily", timedelta(hours=30), "Failed", failure_reason="timed out waiting for cache to sync"),
        backup("daily", timedelta(hours=54), "PartiallyFailed", errors=3),
        backup("daily", timedelta(days=9), "Failed"),  # outside the 7-day window
        backup("weekly", timedelta(days=9)),
        backup("weekly", timedelta(days=2), "InProgress"),
        backup(None, timedelta(days=2)),
    )
    r = check("k8s.velero_backups", inv)
    [ok] = r[Status.PASS]
    assert (
        ok.resource.id == "velero/daily" and ok.resource.type == "Schedule" and ok.details["age_hours"] == 5.9
    )
    fails = {f.resource.id: f for f in r[Status.FAIL]}
    assert set(fails) == {
        "velero/weekly",
        *(f"velero/daily-{(NOW - timedelta(hours=h)):%Y%m%d%H%M}" for h in (30, 54)),
    }
    assert "> 26 h" in fails["velero/weekly"].message
    failed = fails[f"velero/daily-{(NOW - timedelta(hours=30)):%Y%m%d%H%M}"]
    assert failed.details["phase"] == "Failed" and "cache to sync" in failed.message
    relaxed = check(
        "k8s.velero_backups", inv, {"schedule_max_age_hours": {"weekly": 240}, "failed_window_days": 1}
    )
    assert not relaxed[Status.FAIL] and len(relaxed[Status.PASS]) == 2


def test_velero_schedule_without_backups_paused_or_not_installed() -> None:
    r = check("k8s.velero_backups", velero(schedules=("daily",)))
    assert "has no Completed backup" in r[Status.FAIL][0].message
    paused = VeleroState(schedules=(VeleroSchedule(name="daily", paused=True),))
    assert [f.resource.id for f in check("k8s.velero_backups", {"k8s.velero": paused})[Status.SKIPPED]] == [
        "velero/daily"
    ]
    assert (
        "no Velero backup schedules"
        in check("k8s.velero_backups", velero(schedules=()))[Status.FAIL][0].message
    )
    [absent] = check("k8s.velero_backups", {"k8s.velero": VeleroState(installed=False)})[Status.FAIL]
    assert absent.details["api_enabled"] is False and "not installed" in absent.message


def test_hpa_weekly_review_desired_at_max_or_lagging() -> None:
    lagging = K8sHpa(namespace="production", name="lagging", min_replicas=2, max_replicas=10, current=3, desired=6,
                     conditions=(Condition(type="ScalingActive", status="True"),))  # fmt: skip
    clamped = hpa("clamped", 3, 10, limited="True")  # ScalingLimited=TooManyReplicas: desired clamped to max
    hpas = [hpa("ok", 3, 20), hpa("pinned", 4, 4, limited="True"), lagging, clamped]
    r = check("k8s.hpa_weekly_review", {"k8s.hpas": hpas})
    fails = {f.resource.id: f.message for f in r[Status.FAIL]}
    assert set(fails) == {"production/pinned", "production/lagging", "production/clamped"}
    assert "desired replicas at its maximum (4/4)" in fails["production/pinned"]
    assert "current 3 != desired 6" in fails["production/lagging"]
    assert [f.resource.id for f in r[Status.PASS]] == ["production/ok"]
    relaxed = check("k8s.hpa_weekly_review", {"k8s.hpas": hpas}, {"max_replica_gap": 3})
    assert "production/lagging" not in {f.resource.id for f in relaxed[Status.FAIL]}
    assert not check("k8s.hpa_weekly_review", {"k8s.hpas": hpas}, {"exclude_namespaces": ["production"]})[
        Status.FAIL
    ]


def test_pods_per_node_against_allocatable_pods() -> None:
    nodes = [
        node("roomy").model_copy(update={"allocatable_pods": 29}),
        node("full").model_copy(update={"allocatable_pods": 5}),
        node("unknown"),
    ]
    pods = [pod(f"f{i}", node_name="full") for i in range(4)]
    pods += [
        pod("done", node_name="full", phase="Succeeded"),
        pod("r", node_name="roomy"),
        pod("pending", node_name=None),
    ]
    r = check("k8s.pods_per_node", {"k8s.nodes": nodes, "k8s.pods": pods})
    [full] = r[Status.FAIL]
    assert full.resource.id == "full" and full.details["pods"] == 4 and full.details["percent"] == 80.0
    [roomy] = r[Status.PASS]
    assert roomy.resource.id == "roomy" and "1/29 pods" in roomy.message
    assert [f.resource.id for f in r[Status.SKIPPED]] == ["unknown"]
    assert not check("k8s.pods_per_node", {"k8s.nodes": nodes, "k8s.pods": pods}, {"max_percent": 90})[
        Status.FAIL
    ]


def test_velero_max_age_comes_from_each_schedules_cron() -> None:
    scheds = (
        VeleroSchedule(name="daily", cron="0 2 * * *"),
        VeleroSchedule(name="weekly", cron="0 3 * * 0"),
        VeleroSchedule(name="late-weekly", cron="@weekly"),
        VeleroSchedule(name="six-hourly", cron="@every 6h"),
        VeleroSchedule(name="broken", cron="0 2 * *"),
    )
    backups = (
        backup("daily", timedelta(hours=25)),
        backup("weekly", timedelta(days=6)),  # a week's schedule: 6 days is on time
        backup("late-weekly", timedelta(days=8)),  # > 168 + 2 h
        backup("six-hourly", timedelta(hours=9)),  # > 6 + 2 h
        backup("broken", timedelta(hours=1)),
    )
    r = check("k8s.velero_backups", {"k8s.velero": VeleroState(schedules=scheds, backups=backups)})
    passed = {f.resource.name: f for f in r[Status.PASS]}
    failed = {f.resource.name: f for f in r[Status.FAIL]}
    assert set(passed) == {"daily", "weekly"} and set(failed) == {"late-weekly", "six-hourly", "broken"}
    assert passed["weekly"].details["max_age_hours"] == 170
    assert passed["weekly"].details["limit_from"] == "runs every 168 h + 2 h grace"
    assert "(> 170 h: runs every 168 h + 2 h grace)" in failed["late-weekly"].message
    assert "(> 8 h: runs every 6 h + 2 h grace)" in failed["six-hourly"].message
    assert "cannot tell how often it runs (expected 5 fields" in failed["broken"].message
    strict = check("k8s.velero_backups", {"k8s.velero": VeleroState(schedules=scheds[:2], backups=backups)},
                   {"grace_hours": 0})  # fmt: skip
    assert {f.resource.name for f in strict[Status.FAIL]} == {"daily"}  # 25 h > 24 h
    flat = check("k8s.velero_backups", {"k8s.velero": VeleroState(schedules=scheds[:2], backups=backups)},
                 {"max_age_hours": 26})  # fmt: skip
    assert {f.resource.name for f in flat[Status.FAIL]} == {"weekly"}
