"""The guide's calendar: which scopes are due on a date, and what `--day` / `--part` mean.

A weekly check's cadence names the guide's day of its review (`weekly:monday` is the security review).
`calendar.weekly` in opsbook.yaml moves a review to another weekday; `calendar.monthly` moves a monthly
part to another day of the month (`last`, or 1-31 clamped to the month's length).
"""

from __future__ import annotations

import calendar as _cal
from datetime import date

from opsbook.core.config import WEEKDAYS, CalendarSettings, MonthlyCalendar, WeeklyCalendar
from opsbook.core.errors import InputError

REVIEWS: tuple[str, ...] = tuple(WeeklyCalendar.model_fields)
PARTS: tuple[str, ...] = tuple(MonthlyCalendar.model_fields)


def guide_day(review: str) -> str:
    """The weekday the guide gives a review; its checks carry `weekly:<that day>`."""
    return str(WeeklyCalendar.model_fields[review].default)


def review_scope(review: str) -> str:
    return f"weekly:{guide_day(review)}"


def month_day(value: int | str, day: date) -> int:
    """The configured day of the month (`last`, or a number clamped to the month's length)."""
    last = _cal.monthrange(day.year, day.month)[1]
    return last if value == "last" else min(int(value), last)


def weekly_scopes(cal: CalendarSettings, weekday: str) -> list[str]:
    """The weekly scopes that run on `weekday` (a day name) or for `weekday` naming a review."""
    name = weekday.strip().lower()
    if name in REVIEWS:
        return [review_scope(name)]
    if name not in WEEKDAYS:
        choices = ", ".join(WEEKDAYS + REVIEWS)
        raise InputError(f"--day {weekday!r}: expected a weekday or a review name ({choices})")
    return [review_scope(r) for r in REVIEWS if getattr(cal.weekly, r) == name]


def monthly_scope(part: str) -> str:
    name = part.strip().lower()
    if name not in PARTS:
        raise InputError(f"--part {part!r}: expected one of {', '.join(PARTS)}")
    return f"monthly:{name}"


def due_scopes(cal: CalendarSettings, day: date) -> list[str]:
    """Everything due on `day`: daily, the day's weekly reviews and the month's parts falling on it."""
    scopes = ["daily"] if cal.daily else []
    scopes += weekly_scopes(cal, WEEKDAYS[day.weekday()])
    scopes += [f"monthly:{p}" for p in PARTS if month_day(getattr(cal.monthly, p), day) == day.day]
    return scopes


def describe(cal: CalendarSettings, day: date) -> dict[str, list[str]]:
    """For display: the names of what is due (reviews and parts), beside the scopes."""
    weekday = WEEKDAYS[day.weekday()]
    return {
        "weekly": [r for r in REVIEWS if getattr(cal.weekly, r) == weekday],
        "monthly": [p for p in PARTS if month_day(getattr(cal.monthly, p), day) == day.day],
    }
