"""The schedule's slots: cron times (croniter) on the calendar's days, in the calendar's time zone, across
daylight-saving changes; a cron that never meets its days is a ConfigError naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from opsbook.core.config import CalendarSettings, ScheduleTimes
from opsbook.core.errors import ConfigError
from opsbook.engine import calendar, timetable


def cal(**kw: Any) -> CalendarSettings:
    return CalendarSettings.model_validate(kw)


def cadence(c: CalendarSettings, name: str) -> timetable.Cadence:
    return next(x for x in timetable.cadences(c) if x.name == name)


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_every_cadence_of_the_calendar_has_a_time_and_the_guides_defaults() -> None:
    assert list(ScheduleTimes.model_fields) == ["daily", *calendar.REVIEWS, *calendar.PARTS]
    c = cal()
    names = {x.name: x for x in timetable.cadences(c)}
    assert names["daily"].scope == "daily" and names["daily"].cron == "0 7 * * *"
    assert names["security"].scope == "weekly:monday" and names["audit"].scope == "monthly:audit"
    # off (YAML's off is false) and calendar.daily: false take a cadence off the schedule
    off = cal(daily=False, times={"security": False, "audit": "off"})
    assert {x.name for x in timetable.cadences(off)} == set(names) - {"daily", "security", "audit"}


def test_seven_in_berlin_is_six_utc_in_winter_and_five_in_summer() -> None:
    berlin, plain = cal(timezone="Europe/Berlin"), cal()
    assert timetable.next_slot(berlin, cadence(berlin, "daily"), utc(2026, 12, 2, 3)) == utc(2026, 12, 2, 6)
    assert timetable.next_slot(berlin, cadence(berlin, "daily"), utc(2026, 7, 2, 3)) == utc(2026, 7, 2, 5)
    assert timetable.next_slot(plain, cadence(plain, "daily"), utc(2026, 12, 2, 3)) == utc(2026, 12, 2, 7)
    # the day is Berlin's: 23:30 UTC on Sunday is Monday in Berlin, so Monday's review is that morning
    sec = cadence(berlin, "security")
    assert timetable.next_slot(berlin, sec, utc(2026, 11, 29, 23, 30)) == utc(2026, 11, 30, 8)


def test_a_time_the_clock_skips_runs_once_later_and_a_repeated_time_once() -> None:
    c = cal(timezone="Europe/Berlin", times={"daily": "30 2 * * *"})
    d = cadence(c, "daily")
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist and runs at 03:30 CEST (01:30 UTC)
    assert timetable.next_slot(c, d, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1, 30)
    # 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice and runs the first time only
    first = timetable.next_slot(c, d, utc(2026, 10, 24, 12))
    assert first == utc(2026, 10, 25, 0, 30)
    assert timetable.next_slot(c, d, first) == utc(2026, 10, 26, 1, 30)
    # seen from inside the second pass of the repeated hour, the slot was the first one
    assert timetable.last_slot(c, d, utc(2026, 10, 25, 1, 40)) == first


def test_every_half_hour_across_the_spring_gap_starts_each_instant_once() -> None:
    c = cal(timezone="Europe/Berlin", times={"daily": "*/30 * * * *"})
    d = cadence(c, "daily")
    at, seen = utc(2026, 3, 29, 0, 0), []
    for _ in range(4):
        nxt = timetable.next_slot(c, d, at)
        assert nxt is not None
        seen.append(nxt)
        at = nxt
    assert seen == [
        utc(2026, 3, 29, 0, 30),
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 29, 2),
    ]


def test_reviews_and_parts_start_on_the_calendars_days_at_their_cron_times() -> None:
    c = cal(weekly={"security": "tuesday"}, monthly={"compliance": 31}, times={"security": "0 9,15 * * *"})
    sec = cadence(c, "security")
    assert timetable.next_slot(c, sec, utc(2026, 12, 1, 10)) == utc(2026, 12, 1, 15)  # Tuesday, second time
    assert timetable.next_slot(c, sec, utc(2026, 12, 1, 16)) == utc(2026, 12, 8, 9)
    comp = cadence(c, "compliance")  # day 31, clamped to a shorter month's last day as `run due` does
    assert timetable.next_slot(c, comp, utc(2027, 2, 1)) == utc(2027, 2, 28, 10)
    assert timetable.last_slot(c, comp, utc(2027, 2, 1)) == utc(2027, 1, 31, 10)
    assert timetable.last_slot(c, cadence(c, "daily"), utc(2026, 12, 2, 7)) == utc(
        2026, 12, 2, 7
    )  # at: included


def test_a_cron_that_never_meets_its_days_is_a_config_error_naming_the_field() -> None:
    c = cal(times={"security": "0 9 * * tue"})  # the security review is on Mondays
    with pytest.raises(
        ConfigError, match=r"calendar\.times\.security: .*\(calendar\.weekly\.security: monday\)"
    ):
        timetable.checked(c, utc(2026, 12, 2))
