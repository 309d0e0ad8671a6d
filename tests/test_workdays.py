"""Deadlines in working days: public holidays, 调休 working weekends, the office's overrides."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.infra import clock
from registry.workflow.workdays import (
    OFFICIAL_YEARS,
    Day,
    Source,
    add_workdays,
    day_info,
    is_workday,
    workdays_between,
    year_days,
)

D = dt.date


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2025, 9, 26), 1, D(2025, 9, 28)),  # Friday -> the 调休 working Sunday
        (D(2025, 9, 30), 1, D(2025, 10, 9)),  # over National Day and Mid-Autumn (Oct 1-8)
        (D(2025, 10, 10), 1, D(2025, 10, 11)),  # Friday -> the 调休 working Saturday
        (D(2025, 9, 30), 15, D(2025, 10, 28)),  # a reply deadline across the holiday
        (D(2025, 3, 7), 1, D(2025, 3, 10)),  # an ordinary weekend
        (D(2025, 12, 31), 1, D(2026, 1, 4)),  # New Year 2026 (Jan 1-3), then 调休 Sunday Jan 4
    ],
)
def test_add_workdays(start, n, expected):
    assert add_workdays(start, n) == expected


def test_calendar_days():
    assert is_workday(D(2025, 9, 28)) and is_workday(D(2025, 10, 11))  # 调休 weekends
    assert not is_workday(D(2025, 10, 3))  # National Day
    assert workdays_between(D(2025, 9, 30), D(2025, 10, 9)) == 1
    assert workdays_between(D(2025, 10, 9), D(2025, 9, 30)) == -1


def test_office_overrides_win():
    extra_holiday = {D(2025, 3, 10): False}
    assert add_workdays(D(2025, 3, 7), 1, extra_holiday) == D(2025, 3, 11)
    extra_workday = {D(2025, 3, 8): True}
    assert add_workdays(D(2025, 3, 7), 1, extra_workday) == D(2025, 3, 8)


def test_beyond_the_published_years_statutory_holidays_are_computed():
    """2027 is past chinese_calendar's data: 元旦 and the Spring Festival are still holidays."""
    assert 2027 not in OFFICIAL_YEARS
    assert day_info(D(2027, 1, 1)) == Day(False, Source.COMPUTED, "元旦")
    assert add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)  # not Friday 1 January
    assert add_workdays(D(2027, 2, 4), 1) == D(2027, 2, 11)  # Spring Festival 5-10 February
    assert day_info(D(2027, 2, 9)).name.startswith("春节")
    assert add_workdays(D(2099, 1, 2), 1) == D(2099, 1, 5)  # Friday -> Monday


def test_office_entries_win_over_computed_days():
    """A loaded 2027 notice with a 调休 working Saturday moves a deadline."""
    notice = {D(2027, 1, 9): True}  # a made-up 调休 Saturday
    assert add_workdays(D(2027, 1, 7), 2) == D(2027, 1, 11)
    assert add_workdays(D(2027, 1, 7), 2, notice) == D(2027, 1, 9)
    assert day_info(D(2027, 1, 9), notice).source is Source.OFFICE


def test_year_days_cover_the_whole_year():
    days = year_days(2027)
    assert len(days) == 365 and days[0][0] == D(2027, 1, 1) and days[-1][0] == D(2027, 12, 31)
    assert sum(not d.workday for _, d in days) > 104  # weekends plus the statutory holidays


async def test_office_override_moves_a_filing_deadline(client, conn):
    import uuid

    today = clock.today()
    tomorrow_ish = add_workdays(today, 1)
    await conn.execute(
        "INSERT INTO calendar_overrides (day, workday, note) VALUES ($1, false, '临时停工')",
        tomorrow_ish,
    )
    body = {
        "department": "CY-BM-001",
        "certificate_name": "良民证",
        "demanded_on": str(today),
        "disclosure": "anonymous",
    }
    r = await client.post(
        "/api/v1/complaints", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    ref = r.json()["reference"]
    due = await conn.fetchval("SELECT accept_due FROM complaints WHERE reference=$1", ref)
    assert due == add_workdays(today, 1, {tomorrow_ish: False}) and due != tomorrow_ish
