"""The scheduler over a real SQLite store with a clock moved by hand and a launcher that records what it
was asked to run: misfire (one catch-up, not one per missed slot), no second run of a slot after a
restart, one run of a cadence at a time (the next slot skipped and recorded), failures recorded and told."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opsbook.core.config import Config
from opsbook.engine.scheduler import Outcome, Scheduler, overview
from opsbook.engine.timetable import Cadence
from opsbook.store import schedule
from opsbook.store.db import Store, open_store

ONLY_DAILY = {n: "off" for n in ("security", "backup", "performance", "cost", "drift", "audit", "capacity",
                                 "compliance")}  # fmt: skip


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        self.at += timedelta(seconds=max(seconds, 1))
        return stop.is_set()


class Launcher:
    """Records each cadence it starts; `gate` (when set up) holds a run until released."""

    def __init__(self, gate: threading.Event | None = None, fail: bool = False) -> None:
        self.started: list[str] = []
        self.gate = gate
        self.fail = fail

    def __call__(self, cadence: Cadence) -> Outcome:
        self.started.append(cadence.name)
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.fail:
            raise RuntimeError("opsbook.yaml: storage.url: no driver")
        return Outcome("done", f"run-{len(self.started)}", 0)


def config(**calendar: Any) -> Config:
    times = ONLY_DAILY | calendar.pop("times", {})
    return Config.model_validate({"calendar": {"times": times, **calendar}})


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'o.db'}")
    yield s
    s.close()


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def scheduler(store: Store, clock: Clock, launch: Launcher, **calendar: Any) -> Scheduler:
    return Scheduler(config(**calendar), store, launch, clock=clock)


def test_a_slot_missed_while_down_runs_once_on_start_not_once_per_missed_slot(store: Store) -> None:
    clock, launch = Clock(utc(2026, 12, 1, 6, 59)), Launcher()
    first = scheduler(store, clock, launch)
    assert first.start_up() == []  # yesterday's 07:00 is not replayed by a first start
    clock.at = utc(2026, 12, 1, 7, 0, 5)
    [ran] = first.tick()
    first.join()
    assert ran.slot_at == utc(2026, 12, 1, 7) and not ran.catch_up
    # the process is down from 08:00 on the 1st until 09:00 on the 3rd: the slots of the 2nd and 3rd missed
    clock.at = utc(2026, 12, 3, 9)
    again = scheduler(store, clock, launch)
    [caught_up] = again.start_up()
    again.join()
    assert caught_up.slot_at == utc(2026, 12, 3, 7) and caught_up.catch_up
    assert launch.started == ["daily", "daily"]
    assert again.tick() == [] and again.next["daily"] == utc(2026, 12, 4, 7)
    slots = [f.slot_at for f in schedule.recent(store)]
    assert slots == [utc(2026, 12, 3, 7), utc(2026, 12, 1, 7)]
    assert [f.run_id for f in schedule.recent(store)] == ["run-2", "run-1"]


def test_a_slot_that_ran_is_not_run_again_after_a_restart(store: Store) -> None:
    clock, launch = Clock(utc(2026, 12, 1, 7, 30)), Launcher()
    first = scheduler(store, clock, launch)
    [today] = first.start_up()  # first start after 07:00: today's slot is due (what `run due` runs today)
    first.join()
    assert today.slot_at == utc(2026, 12, 1, 7) and launch.started == ["daily"]
    clock.at = utc(2026, 12, 1, 12)
    restarted = scheduler(store, clock, launch)
    assert restarted.start_up() == [] and restarted.tick() == []
    assert launch.started == ["daily"]
    # and a second scheduler on the same store cannot take a slot the first has claimed
    clock.at = utc(2026, 12, 2, 7)
    a, b = scheduler(store, clock, launch), scheduler(store, clock, launch)
    a.next = b.next = {"daily": utc(2026, 12, 2, 7)}
    assert len(a.tick()) == 1 and b.tick() == []
    a.join()
    assert launch.started == ["daily", "daily"]


def test_one_run_of_a_cadence_at_a_time_the_slot_that_comes_meanwhile_is_skipped_and_recorded(
    store: Store,
) -> None:
    gate = threading.Event()
    clock, launch = Clock(utc(2026, 12, 1, 10, 5)), Launcher(gate)
    s = scheduler(store, clock, launch, times={"daily": "*/10 * * * *"})
    [running] = s.start_up()  # 10:00 today
    clock.at = utc(2026, 12, 1, 10, 10)
    [skipped] = s.tick()
    assert skipped.state == "skipped" and "10:00" in skipped.note and s.busy() == ["daily"]
    [row] = overview(
        s.cfg, store, clock.at
    )  # the page shows the slot whose run is going, not the skipped one
    assert row["last"]["slot_at"] == running.slot_at.isoformat() and row["last"]["state"] == "running"
    gate.set()
    s.join()
    clock.at = utc(2026, 12, 1, 10, 20)
    [next_one] = s.tick()
    s.join()
    assert next_one.state == "running" and launch.started == ["daily", "daily"]
    states = {f.slot_at.minute: f.state for f in schedule.recent(store)}
    assert states == {0: "done", 10: "skipped", 20: "done"}


def test_the_times_are_the_calendars_zones(store: Store) -> None:
    clock, launch = Clock(utc(2026, 12, 1, 5, 59)), Launcher()
    s = scheduler(store, clock, launch, timezone="Europe/Berlin")
    assert s.start_up() == [] and s.next["daily"] == utc(2026, 12, 1, 6)  # 07:00 in Berlin
    clock.at = utc(2026, 12, 1, 6)
    assert [f.slot_at for f in s.tick()] == [utc(2026, 12, 1, 6)]
    s.join()


def test_the_loop_sleeps_until_each_slot_and_stops(store: Store) -> None:
    stop = threading.Event()

    class StopAfter(Clock):
        def wait(self, stop: threading.Event, seconds: float) -> bool:
            s.join()  # the day's run ends before the next day comes
            self.at += timedelta(seconds=max(seconds, 1))
            if self.at > utc(2026, 12, 2, 7):  # woken for the third slot: stopped instead
                stop.set()
            return stop.is_set()

    clock, launch = StopAfter(utc(2026, 12, 1, 6, 50)), Launcher()
    s = scheduler(store, clock, launch)
    thread = threading.Thread(target=s.run, args=(stop,))
    thread.start()
    thread.join(20)
    s.join()
    assert not thread.is_alive()
    assert [f.slot_at for f in schedule.recent(store)] == [utc(2026, 12, 2, 7), utc(2026, 12, 1, 7)]
    assert launch.started == ["daily", "daily"]


def test_a_run_that_fails_is_recorded_and_told(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[Any] = []
    monkeypatch.setattr("opsbook.notify.publish", lambda cfg, event, store=None: told.append(event) or [])
    clock, launch = Clock(utc(2026, 12, 1, 7, 1)), Launcher(fail=True)
    s = scheduler(store, clock, launch)
    s.start_up()
    s.join()
    [fire] = schedule.recent(store)
    assert fire.state == "failed" and "no driver" in fire.note
    [event] = told
    assert event.kind.value == "schedule.failed" and "daily" in event.title


def test_runs_left_running_by_a_stopped_scheduler_are_interrupted_not_rerun(store: Store) -> None:
    schedule.claim(store, cadence="daily", scope="daily", slot_at=utc(2026, 12, 1, 7), at=utc(2026, 12, 1, 7))
    clock, launch = Clock(utc(2026, 12, 1, 9)), Launcher()
    s = scheduler(store, clock, launch)
    assert s.start_up() == [] and launch.started == []
    [fire] = schedule.recent(store)
    assert fire.state == "interrupted"
