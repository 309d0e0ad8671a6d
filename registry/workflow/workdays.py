"""Working days in layers, never a silent guess.

1. The office's entries (a correction, or a whole year's official notice it loaded).
2. The official schedule: chinese_calendar, for the years its data covers.
3. Beyond them, statutory holidays computed by the `holidays` package (Spring Festival from the
   lunar calendar, and so on). The 调休 working weekends of such a year are not known until the
   State Council publishes them, so a deadline resting on computed days is provisional (暂定)
   until the office loads that year's notice (calendar_years says which years are settled).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

import chinese_calendar
import holidays
from chinese_calendar import constants as _cc

from registry.infra.i18n import N_

Overrides = Mapping[dt.date, bool]
OFFICIAL_YEARS = frozenset(range(min(d.year for d in _cc.holidays), max(_cc.holidays).year + 1))


class Source(StrEnum):
    OFFICE = "office"  # entered or loaded by the supervising office
    OFFICIAL = "official"  # the published schedule shipped with chinese_calendar
    COMPUTED = "computed"  # statutory holidays computed; 调休 not yet known


SOURCE_LABELS = {
    Source.OFFICE: N_("本单位录入"),
    Source.OFFICIAL: N_("国务院公布"),
    Source.COMPUTED: N_("推算"),
}  # msgids: the calendar page translates them


class Day(NamedTuple):
    workday: bool
    source: Source
    name: str  # the holiday's name, where there is one


def day_info(day: dt.date, overrides: Overrides | None = None) -> Day:
    if overrides and day in overrides:
        return Day(overrides[day], Source.OFFICE, "")
    return _published(day)


@functools.lru_cache(maxsize=8192)
def _published(day: dt.date) -> Day:
    # Cached: chinese_calendar scans its whole table on every call, and a filing asks ~25 days.
    if day.year in OFFICIAL_YEARS:
        holiday, name = chinese_calendar.get_holiday_detail(day)
        return Day(not holiday, Source.OFFICIAL, _ZH.get(name or "", name or ""))
    name = _computed(day.year).get(day)
    return Day(name is None and day.weekday() < 5, Source.COMPUTED, name or "")


@functools.lru_cache(maxsize=64)
def _computed(year: int) -> Mapping[dt.date, str]:
    return dict(holidays.country_holidays("CN", years=year, language="zh_CN"))


_ZH = {  # the statutory holidays' names (msgids: the calendar page translates them)
    "New Year's Day": N_("元旦"),
    "Spring Festival": N_("春节"),
    "Tomb-sweeping Day": N_("清明节"),
    "Labour Day": N_("劳动节"),
    "Dragon Boat Festival": N_("端午节"),
    "National Day": N_("国庆节"),
    "Mid-autumn Festival": N_("中秋节"),
    "Anti-Fascist 70th Day": N_("抗战胜利70周年纪念日"),
}
# Further names the holidays package gives the days of computed years (msgids, as above).
_COMPUTED_NAMES = (N_("农历除夕"), N_("农历除夕（补假）"), N_("春节（补假）"), N_("元旦（补假）"))


def is_workday(day: dt.date, overrides: Overrides | None = None) -> bool:
    return day_info(day, overrides).workday


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


def year_days(year: int, overrides: Overrides | None = None) -> list[tuple[dt.date, Day]]:
    """Every day of a year with its status and where that status comes from (calendar page)."""
    day, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    days = []
    while day <= end:
        days.append((day, day_info(day, overrides)))
        day += dt.timedelta(days=1)
    return days
