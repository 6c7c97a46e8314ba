"""How often a cron schedule runs, for the schedule forms Velero accepts (robfig/cron's standard parser):
five fields `minute hour day-of-month month day-of-week` (`*`, `?`, lists, ranges, `/step`, JAN-DEC and
SUN-SAT names, 7 = Sunday), the descriptors `@yearly` `@annually` `@monthly` `@weekly` `@daily`
`@midnight` `@hourly`, `@every <Go duration>` (`@every 6h`, `@every 1h30m`), and a leading `CRON_TZ=`/`TZ=`.

`interval(expr)` is the longest gap between two consecutive runs (a weekday-only `0 2 * * 1-5` is 72 h:
Friday to Monday), so "the latest run is no older than interval" holds whenever the schedule ran on time.
As in cron, when both day-of-month and day-of-week are restricted a day matching either runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_REFERENCE = date(2024, 1, 1)  # a leap year; the gaps are searched over 8 years from here
_SPAN_DAYS = 8 * 366


class CronError(ValueError):
    """Not a schedule Velero would accept."""


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]  # of the month
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_any: bool  # day-of-month was `*`/`?`
    weekdays_any: bool

    def runs_on(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.days_any or self.weekdays_any:
            return by_day and by_weekday
        return by_day or by_weekday

    def matches(self, moment: datetime) -> bool:
        """Whether the schedule runs at this minute (in the schedule's own time zone)."""
        return moment.minute in self.minutes and moment.hour in self.hours and self.runs_on(moment.date())


def _strip_tz(expr: str) -> str:
    text = expr.strip()
    if text.startswith(("CRON_TZ=", "TZ=")):
        text = text.split(None, 1)[1] if " " in text else ""
    return text.strip()


def go_duration(text: str) -> timedelta:
    """A Go duration (`6h`, `1h30m`, `90m`, `2.5h`) as Velero's `@every` takes it."""
    parts = _DURATION.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise CronError(f"not a duration: {text!r} (e.g. 6h, 1h30m)")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise CronError(f"not a positive duration: {text!r}")
    return timedelta(seconds=seconds)


def _value(text: str, names: dict[str, int]) -> int:
    low = text.lower()
    if low in names:
        return names[low]
    if not text.isdigit():
        raise CronError(f"not a number or name: {text!r}")
    return int(text)


def _field(
    text: str, low: int, high: int, names: dict[str, int] | None = None
) -> tuple[frozenset[int], bool]:
    """The values one field allows, and whether it was a bare `*`/`?`."""
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = _value(step_text, {}) if step_text else 1
        if step < 1:
            raise CronError(f"step must be at least 1 in {part!r}")
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, end = _value(a, names or {}), _value(b, names or {})
        else:
            start = _value(body, names or {})
            end = high if step_text else start
        if not low <= start <= end <= high:
            raise CronError(f"{part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values), text in ("*", "?")


def parse(expr: str) -> Cron:
    """A five-field expression or a descriptor (not `@every`: it has no calendar, see `interval`)."""
    text = DESCRIPTORS.get(_strip_tz(expr).lower(), _strip_tz(expr))
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}: {expr!r}")
    minute, hour, day, month, weekday = fields
    weekdays, weekdays_any = _field(weekday, 0, 7, DAYS)
    days, days_any = _field(day, 1, 31)
    return Cron(
        minutes=_field(minute, 0, 59)[0],
        hours=_field(hour, 0, 23)[0],
        days=days,
        months=_field(month, 1, 12, MONTHS)[0],
        weekdays=frozenset(d % 7 for d in weekdays),
        days_any=days_any,
        weekdays_any=weekdays_any,
    )


def interval(expr: str) -> timedelta:
    """The longest time between two consecutive runs of `expr` (CronError if it is not a schedule)."""
    text = _strip_tz(expr)
    if text.lower().startswith("@every"):
        return go_duration(text[len("@every") :].strip())
    cron = parse(text)
    times = sorted(h * 60 + m for h in cron.hours for m in cron.minutes)  # minutes of a day it runs at
    run_days = [d for d in (_REFERENCE + timedelta(days=i) for i in range(_SPAN_DAYS)) if cron.runs_on(d)]
    if not run_days:
        raise CronError(f"{expr!r} never runs")
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    gaps += [(b - a).days * 1440 + times[0] - times[-1] for a, b in zip(run_days, run_days[1:], strict=False)]
    if not gaps:  # one run in 8 years
        raise CronError(f"{expr!r} runs too rarely to have an interval")
    return timedelta(minutes=max(gaps))
