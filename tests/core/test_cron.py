"""core/cron.py: the longest gap between runs of the schedule forms Velero accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opsbook.core.cron import CronError, go_duration, interval, parse

H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("expr", "every"),
    [
        ("0 2 * * *", 24 * H),
        ("0 3 * * 0", 168 * H),
        ("0 3 * * SUN", 168 * H),
        ("0 3 * * 7", 168 * H),  # 7 is Sunday too
        ("0 */6 * * *", 6 * H),
        ("15,45 * * * *", 30 * timedelta(minutes=1)),
        ("0 2 * * 1-5", 72 * H),  # Friday 02:00 to Monday 02:00
        ("0 0 1 * *", 31 * 24 * H),
        ("0 0 1 JAN,JUL *", 184 * 24 * H),  # July 1st to January 1st
        ("0 0 1,15 * MON", 7 * 24 * H),  # both days restricted: either matches (cron's OR)
        ("0 0 29 2 *", 1461 * 24 * H),  # leap days only: four years
        ("@daily", 24 * H),
        ("@midnight", 24 * H),
        ("@weekly", 168 * H),
        ("@monthly", 31 * 24 * H),
        ("@hourly", H),
        ("@every 6h", 6 * H),
        ("@every 1h30m", 90 * timedelta(minutes=1)),
        ("CRON_TZ=Europe/Paris 0 1 * * *", 24 * H),
    ],
)
def test_interval(expr: str, every: timedelta) -> None:
    assert interval(expr) == every


@pytest.mark.parametrize(
    "expr", ["", "0 2 * *", "0 2 * * * *", "61 * * * *", "x * * * *", "*/0 * * * *", "0 0 31 2 *", "@every",
             "@every 0s", "@every 6 hours", "@fortnightly"],
)  # fmt: skip
def test_not_a_schedule(expr: str) -> None:
    with pytest.raises(CronError):
        interval(expr)


def test_matches_and_durations() -> None:
    daily = parse("0 2 * * *")
    assert daily.matches(datetime(2025, 3, 4, 2, 0, tzinfo=UTC))
    assert not daily.matches(datetime(2025, 3, 4, 16, 52, tzinfo=UTC))
    weekly = parse("0 3 * * 0")
    assert weekly.matches(datetime(2025, 3, 2, 3, 0, tzinfo=UTC)) and not weekly.matches(
        datetime(2025, 3, 3, 3, 0)
    )
    assert go_duration("2.5h") == 150 * timedelta(minutes=1) and go_duration("90s") == timedelta(seconds=90)
