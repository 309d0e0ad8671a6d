"""When a consulted department must answer: on the county's working-day calendar, within the
office's hours (08:30-17:30 China time).

Default (no term for the item): the same working day, 17:30 of the day the request is opened
when that is a working day before 17:30, else 17:30 of the next working day. N hours: counted
within office hours of working days. N days: 17:30 of the N-th working day after opening.
"""

from __future__ import annotations

import datetime as dt

from registry.infra import clock
from registry.workflow.workdays import Overrides, add_workdays, is_workday

OPENS = dt.time(8, 30)
CLOSES = dt.time(17, 30)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=clock.ZONE)


def _next_workday(day: dt.date, overrides: Overrides) -> dt.date:
    return add_workdays(day, 1, overrides)


def due_at(start: dt.datetime, unit: str | None, amount: int, overrides: Overrides) -> dt.datetime:
    """The deadline of a request opened at start (aware) under the item's term."""
    local = clock.local(start)
    day = local.date()
    open_today = is_workday(day, overrides) and local.time() < CLOSES
    if unit == "days":
        return _at(add_workdays(day, amount, overrides), CLOSES)
    if unit == "hours":
        # Where the count starts: now within hours, else the next opening.
        if open_today:
            moment = max(local, _at(day, OPENS))
        else:
            moment = _at(_next_workday(day, overrides), OPENS)
        left = dt.timedelta(hours=amount)
        while True:
            room = _at(moment.date(), CLOSES) - moment
            if left <= room:
                return moment + left
            left -= room
            moment = _at(_next_workday(moment.date(), overrides), OPENS)
    return _at(day if open_today else _next_workday(day, overrides), CLOSES)
