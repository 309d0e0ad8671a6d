"""SQL for the working-day calendar the office keeps and the deadlines counted on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import asyncpg


async def settled_years(conn: asyncpg.Connection) -> dict[int, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT year, source, notice, loaded_at, loaded_by FROM calendar_years ORDER BY year"
    )
    return {r["year"]: r for r in rows}


async def sync_official_years(conn: asyncpg.Connection, years: Iterable[int]) -> None:
    """The years the shipped calendar data covers; an office notice for a year stays."""
    await conn.execute(
        """
        INSERT INTO calendar_years (year, source, notice)
        SELECT y, 'official', '国务院办公厅公布的节假日安排' FROM unnest($1::int[]) AS y
        ON CONFLICT (year) DO NOTHING
        """,
        sorted(years),
    )


async def replace_year(
    conn: asyncpg.Connection, year: int, days: Mapping[dt.date, bool], notice: str, actor: str
) -> asyncpg.Record | None:
    """Every day of the year becomes an office entry; returns the year's previous record."""
    before = await conn.fetchrow(
        "SELECT source, notice FROM calendar_years WHERE year = $1 FOR UPDATE", year
    )
    await conn.execute(
        "DELETE FROM calendar_overrides WHERE day BETWEEN $1 AND $2",
        dt.date(year, 1, 1),
        dt.date(year, 12, 31),
    )
    await conn.execute(
        """
        INSERT INTO calendar_overrides (day, workday, note)
        SELECT d, w, $3 FROM unnest($1::date[], $2::boolean[]) AS t (d, w)
        """,
        list(days),
        list(days.values()),
        notice,
    )
    await conn.execute(
        """
        INSERT INTO calendar_years (year, source, notice, loaded_by) VALUES ($1, 'office', $2, $3)
        ON CONFLICT (year) DO UPDATE SET source = 'office', notice = $2, loaded_by = $3,
            loaded_at = now()
        """,
        year,
        notice,
        actor,
    )
    return before


async def open_deadlines(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Complaints whose deadlines still run, locked for recounting."""
    return list(
        await conn.fetch(
            """
            SELECT id, reference, status, submitted_at, accept_due, reply_due, reply_from,
                   reply_days, deadline_reason, reopened
            FROM complaints WHERE status NOT IN ('closed', 'rejected')
            ORDER BY id FOR UPDATE
            """
        )
    )


async def move_deadlines(
    conn: asyncpg.Connection, complaint_id: int, accept_due: dt.date, reply_due: dt.date
) -> None:
    await conn.execute(
        "UPDATE complaints SET accept_due = $2, reply_due = $3 WHERE id = $1",
        complaint_id,
        accept_due,
        reply_due,
    )


async def calendar_overrides(conn: asyncpg.Connection) -> dict[dt.date, bool]:
    """The office's entries on the working-day calendar (workdays.Overrides)."""
    rows = await conn.fetch("SELECT day, workday FROM calendar_overrides")
    return {r["day"]: r["workday"] for r in rows}
