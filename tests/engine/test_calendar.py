"""The guide's calendar: what `opsbook run due` runs on a date, and config overrides."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from opsbook.core.config import CalendarSettings, Config, load_config
from opsbook.core.errors import ConfigError, InputError
from opsbook.engine.calendar import due_scopes, monthly_scope, weekly_scopes

GUIDE = CalendarSettings()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 23), ["daily", "weekly:monday"]),  # a Monday
        (date(2026, 11, 26), ["daily", "weekly:thursday"]),
        (date(2026, 11, 28), ["daily"]),  # Saturday: no review
        (date(2026, 12, 1), ["daily", "weekly:tuesday", "monthly:audit"]),  # the 1st, a Tuesday
        (date(2026, 12, 15), ["daily", "weekly:tuesday", "monthly:capacity"]),  # mid-month
        (date(2026, 12, 31), ["daily", "weekly:thursday", "monthly:compliance"]),  # last day
        (date(2026, 2, 28), ["daily", "monthly:compliance"]),  # last day of a short month, Saturday
        (date(2028, 2, 29), ["daily", "weekly:tuesday", "monthly:compliance"]),  # leap year
        (date(2028, 2, 28), ["daily", "weekly:monday"]),  # not the last day in a leap year
    ],
)
def test_due_follows_the_guides_calendar(day: date, expected: list[str]) -> None:
    assert due_scopes(GUIDE, day) == expected


def test_calendar_moves_reviews_and_parts() -> None:
    cal = CalendarSettings.model_validate(
        {"weekly": {"security": "Tuesday"}, "monthly": {"audit": 2, "capacity": 31, "compliance": 28}}
    )
    # security's checks keep their cadence (weekly:monday) but run on Tuesdays, beside the backup review
    assert due_scopes(cal, date(2026, 12, 1)) == ["daily", "weekly:monday", "weekly:tuesday"]
    assert due_scopes(cal, date(2026, 11, 23)) == ["daily"]
    assert "monthly:audit" in due_scopes(cal, date(2026, 12, 2))
    # 31 in a 30-day month runs on the 30th; compliance moved to the 28th
    assert due_scopes(cal, date(2026, 11, 30)) == ["daily", "monthly:capacity"]  # a Monday, now free
    assert "monthly:compliance" in due_scopes(cal, date(2026, 11, 28))
    assert due_scopes(cal.model_copy(update={"daily": False}), date(2026, 11, 28)) == ["monthly:compliance"]


def test_day_and_part_options() -> None:
    cal = CalendarSettings.model_validate({"weekly": {"cost": "wednesday"}})
    assert weekly_scopes(cal, "Wednesday") == ["weekly:wednesday", "weekly:thursday"]
    assert weekly_scopes(cal, "cost") == ["weekly:thursday"]  # a review by name
    assert weekly_scopes(cal, "sunday") == []
    assert monthly_scope("Capacity") == "monthly:capacity"
    with pytest.raises(InputError, match="--day 'someday'"):
        weekly_scopes(cal, "someday")
    with pytest.raises(InputError, match="--part 'weekly'"):
        monthly_scope("weekly")


def test_calendar_config_is_validated_with_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "opsbook.yaml"
    p.write_text("calendar:\n  weekly:\n    security: someday\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r":3:\d+: calendar.weekly.security"):
        load_config(p)
    p.write_text("calendar:\n  monthly:\n    audit: 32\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"calendar.monthly.audit"):
        load_config(p)
    p.write_text("calendar:\n  weekly:\n    standup: monday\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"calendar.weekly.standup: unknown field"):
        load_config(p)
    assert Config().calendar == GUIDE
