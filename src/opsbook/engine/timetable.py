"""The schedule's slots: when each cadence of the guide's calendar starts (docs/schedule.md).

A cadence is `daily`, one weekly review (`security`...) or one monthly part (`audit`...). Its slots are the
times of its cron expression (`calendar.times.<cadence>`, computed by croniter) on the days the calendar
says it is due (engine/calendar.py, the same rule as `opsbook run due`), read in `calendar.timezone`.

Cron times are wall-clock times of that zone, turned into instants one by one:
- a time the clock skips (spring forward) starts as much later as the clock jumped (02:30 -> 03:30);
- a time the clock passes twice (fall back) starts once, the first time;
- each instant is one slot, so a cron whose skipped and real times meet starts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter

from opsbook.core.config import CalendarSettings
from opsbook.core.errors import ConfigError
from opsbook.engine import calendar

# how far a slot is looked for: a cron of one day a year on a monthly part's date can be years apart
HORIZON = timedelta(days=366 * 5)


@dataclass(frozen=True)
class Cadence:
    name: str  # daily, a review (security...) or a part (audit...): the key under calendar.times
    scope: str  # what `opsbook run` runs: daily, weekly:monday (the review's checks), monthly:audit
    cron: str

    @property
    def kind(self) -> str:
        return "daily" if self.name == "daily" else "weekly" if self.name in calendar.REVIEWS else "monthly"


def cadences(cal: CalendarSettings) -> list[Cadence]:
    """The scheduled cadences: daily (unless `calendar.daily: false`), each review, each part; those whose
    time is `off` are left out."""
    named = [("daily", "daily")] if cal.daily else []
    named += [(r, calendar.review_scope(r)) for r in calendar.REVIEWS]
    named += [(p, calendar.monthly_scope(p)) for p in calendar.PARTS]
    out = []
    for name, scope in named:
        cron = getattr(cal.times, name)
        if cron is not None:
            out.append(Cadence(name, scope, cron))
    return out


def zone(cal: CalendarSettings) -> ZoneInfo:
    return ZoneInfo(cal.timezone)


def local_day(cal: CalendarSettings, at: datetime) -> date:
    return at.astimezone(zone(cal)).date()


def due_on(cal: CalendarSettings, cadence: Cadence, day: date) -> bool:
    return cadence.scope in calendar.due_scopes(cal, day)


def _instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time of `tz` as a UTC instant (fold=0: the first of a repeated time; a skipped
    time keeps the offset from before the jump, so it lands as much later as the clock jumped)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _wall(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz).replace(tzinfo=None)


def _step(cron: str, start: datetime, forward: bool) -> datetime | None:
    """croniter's next (or previous) wall-clock time strictly after (before) naive `start`."""
    try:
        it = croniter(cron, start)
        found: datetime = it.get_next(datetime) if forward else it.get_prev(datetime)
    except CroniterBadDateError:  # a date the expression never matches (Feb 30)
        return None
    return found


def next_slot(cal: CalendarSettings, cadence: Cadence, after: datetime) -> datetime | None:
    """The cadence's first slot strictly after `after` (UTC), or None when there is none within HORIZON."""
    tz = zone(cal)
    cursor = _wall(after, tz)
    day, end = cursor.date(), cursor.date() + HORIZON
    while day <= end:
        if not due_on(cal, cadence, day):
            day += timedelta(days=1)
            continue
        found = _step(cadence.cron, max(cursor, datetime.combine(day, time()) - timedelta(seconds=1)), True)
        if found is None:
            return None
        if found.date() != day:  # nothing on this day: the next candidate's day is the next to look at
            day = found.date()
            continue
        slot = _instant(found, tz)
        if slot > after:
            return slot
        cursor = found  # the first pass of a repeated hour was already behind `after`
    return None


def last_slot(cal: CalendarSettings, cadence: Cadence, at: datetime) -> datetime | None:
    """The cadence's latest slot at or before `at` (UTC), or None within HORIZON."""
    tz = zone(cal)
    cursor = _wall(at, tz) + timedelta(seconds=1)
    day, end = cursor.date(), cursor.date() - HORIZON
    while day >= end:
        if not due_on(cal, cadence, day):
            day -= timedelta(days=1)
            continue
        found = _step(cadence.cron, min(cursor, datetime.combine(day + timedelta(days=1), time())), False)
        if found is None:
            return None
        if found.date() != day:
            day = found.date()
            continue
        slot = _instant(found, tz)
        if slot <= at:
            return slot
        cursor = found
    return None


def checked(cal: CalendarSettings, now: datetime) -> list[Cadence]:
    """The cadences, each proven to have a next slot: a cron that never meets its calendar days (a review's
    cron naming another weekday) is a ConfigError naming the field, not a schedule that silently never runs."""
    out = cadences(cal)
    for c in out:
        if next_slot(cal, c, now) is None:
            raise ConfigError(
                f"calendar.times.{c.name}: {c.cron!r} never falls on a day {c.name} is due "
                f"({due_rule(cal, c)}) within {HORIZON.days // 366} years"
            )
    return out


def due_rule(cal: CalendarSettings, cadence: Cadence) -> str:
    """The calendar's day rule for a cadence, as the config says it."""
    if cadence.kind == "daily":
        return "every day"
    if cadence.kind == "weekly":
        return f"calendar.weekly.{cadence.name}: {getattr(cal.weekly, cadence.name)}"
    return f"calendar.monthly.{cadence.name}: {getattr(cal.monthly, cadence.name)}"
