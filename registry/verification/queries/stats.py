"""SQL for what is said about departments' 协查 beyond the two departments: the public figures
per consulted department, and the requests a department opened for an item (the office reads
them beside a complaint that this department demanded the item's certificate)."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from registry.verification.queries.requests import SELECT


class DepartmentFigures(msgspec.Struct, kw_only=True):
    """One consulted department: requests addressed to it and how it answered them. The rates
    and the average are None below the minimum volume (few cases say more about chance)."""

    department_code: str
    department: str
    received: int
    answered: int
    answered_on_time: int
    overdue_open: int  # unanswered and past due now
    on_time_rate: float | None = None
    average_answer_hours: float | None = None


class Figures(msgspec.Struct, kw_only=True):
    """The public 协查 figures and the rule they were computed under."""

    as_of: dt.date
    min_cases_for_rates: int
    by_department: list[DepartmentFigures]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


async def by_department(
    conn: asyncpg.Connection, *, now: dt.datetime, min_cases: int
) -> list[DepartmentFigures]:
    """Every department that was asked at least once, most asked first."""
    rows = await conn.fetch(
        """
        SELECT r.to_department AS department_code, min(d.name) AS department,
               count(*) AS received,
               count(*) FILTER (WHERE r.answered_at IS NOT NULL) AS answered,
               count(*) FILTER (WHERE r.answered_at <= r.due_at) AS answered_on_time,
               count(*) FILTER (WHERE r.answered_at IS NULL AND r.due_at < $1) AS overdue_open,
               avg(extract(epoch FROM r.answered_at - r.created_at) / 3600)
                   AS average_answer_hours
        FROM verification_requests r JOIN departments d ON d.code = r.to_department
        GROUP BY r.to_department
        ORDER BY count(*) DESC, r.to_department
        """,
        now,
    )
    out = []
    for r in rows:
        figures = DepartmentFigures(
            department_code=r["department_code"],
            department=r["department"],
            received=r["received"],
            answered=r["answered"],
            answered_on_time=r["answered_on_time"],
            overdue_open=r["overdue_open"],
        )
        # Rated on the requests whose outcome is known: answered, or past due unanswered.
        decided = r["answered"] + r["overdue_open"]
        if decided >= min_cases:
            figures.on_time_rate = _rate(r["answered_on_time"], decided)
        if r["answered"] >= min_cases:
            figures.average_answer_hours = round(float(r["average_answer_hours"]), 1)
        out.append(figures)
    return out


async def figures(conn: asyncpg.Connection, *, now: dt.datetime, min_cases: int) -> Figures:
    return Figures(
        as_of=now.date(),
        min_cases_for_rates=min_cases,
        by_department=await by_department(conn, now=now, min_cases=min_cases),
    )


async def opened_by(
    conn: asyncpg.Connection, department: str, code: str, *, limit: int = 20
) -> tuple[list[asyncpg.Record], int]:
    """The newest `limit` requests `department` opened about item `code` (rows as
    requests.SELECT) and how many it opened in all, in one query."""
    rows = await conn.fetch(
        f"""
        SELECT *, count(*) OVER () AS total FROM ({SELECT}
            WHERE r.from_department = $1 AND r.code = $2) AS opened
        ORDER BY created_at DESC, id DESC
        LIMIT $3
        """,
        department,
        code,
        limit,
    )
    return rows, rows[0]["total"] if rows else 0
