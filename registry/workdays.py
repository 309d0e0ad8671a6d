"""Working days: the official holiday and 调休 calendar, overridable by the office."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import chinese_calendar

Overrides = Mapping[dt.date, bool]


def is_workday(day: dt.date, overrides: Overrides | None = None) -> bool:
    """Overrides first; then the published calendar; beyond its years, Monday to Friday."""
    if overrides and day in overrides:
        return overrides[day]
    return _official_workday(day)


@functools.lru_cache(maxsize=8192)
def _official_workday(day: dt.date) -> bool:
    # Cached: chinese_calendar.is_workday scans its whole holiday table (min/max of the keys)
    # on every call, and add_workdays calls it ~25 times per filing: ~2 ms of CPU each time.
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: dt.date, n: int, overrides: Overrides | None = None) -> dt.date:
    """The n-th working day after start (start itself is not counted)."""
    day = start
    while n > 0:
        day += dt.timedelta(days=1)
        if is_workday(day, overrides):
            n -= 1
    return day


def workdays_between(start: dt.date, end: dt.date, overrides: Overrides | None = None) -> int:
    """Working days after start up to and including end (negative when end is earlier)."""
    if end < start:
        return -workdays_between(end, start, overrides)
    return sum(
        is_workday(start + dt.timedelta(days=i), overrides)
        for i in range(1, (end - start).days + 1)
    )
