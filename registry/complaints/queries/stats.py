"""SQL for the public complaint statistics: counts only, never contact data or descriptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import msgspec

from registry.complaints.models import CLASSIFICATION_LABELS, Classification
from registry.infra.i18n import N_

# Below this many cases a department's rates say more about chance than about the department.
MIN_CASES = 5
UNLISTED_CERTIFICATE = "清单外证明（名称不公开）"
# A msgid: /stats says it in the reader's language; the JSON and the CSV keep the Chinese.
OTHER_DEPARTMENT = N_("其他单位")
# 基本满意 counts as satisfied, as the 12345 hotlines count it.
SATISFIED = ("very_satisfied", "satisfied", "neutral")


class Figures(msgspec.Struct, kw_only=True):
    received: int
    accepted: int
    rejected: int
    closed: int
    closed_on_time: int
    followed_up: int
    satisfied: int
    on_time_rate: float | None = None
    follow_up_rate: float | None = None
    satisfaction_rate: float | None = None


class DepartmentFigures(Figures, kw_only=True):
    department_code: str | None
    department: str


class ClassificationCount(msgspec.Struct, kw_only=True):
    classification: str
    label: str
    count: int


class MonthCount(msgspec.Struct, kw_only=True):
    month: str  # YYYY-MM
    received: int
    closed: int


class ItemCount(msgspec.Struct, kw_only=True):
    """Complaints linked to one item of the list (issue 15: which replacement fails where)."""

    code: str
    name: str
    status: str
    count: int


class Stats(Figures, kw_only=True):
    as_of: dt.date
    min_cases_for_rates: int = MIN_CASES
    by_classification: list[ClassificationCount] = []
    by_department: list[DepartmentFigures] = []
    monthly: list[MonthCount] = []
    # Items with at least min_cases_for_rates complaints; the rest are only counted together.
    by_item: list[ItemCount] = []
    items_below_minimum: int = 0


class ComplaintRow(msgspec.Struct, kw_only=True):
    """One complaint as the anonymised open-data file shows it. number is the row's place in
    the file, not the reference: with a reference, anyone could try access codes on it."""

    number: int
    submitted_on: dt.date
    department: str
    certificate_name: str
    classification: str
    status: str
    closed_on: dt.date | None
    closed_on_time: bool | None
    satisfaction: str | None


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


COUNTS = """
    count(*) AS received,
    count(*) FILTER (WHERE accepted_at IS NOT NULL) AS accepted,
    count(*) FILTER (WHERE status = 'rejected') AS rejected,
    count(*) FILTER (WHERE closed_at IS NOT NULL) AS closed,
    count(*) FILTER (WHERE closed_at IS NOT NULL AND closed_on_time) AS closed_on_time,
    count(*) FILTER (WHERE closed_at IS NOT NULL AND followed_up_at IS NOT NULL) AS followed_up,
    count(*) FILTER (WHERE followed_up_at IS NOT NULL
                     AND satisfaction = ANY($1::text[])) AS satisfied
"""


def _with_rates(row: asyncpg.Record, *, rated: bool = True) -> dict[str, Any]:
    d = dict(row)
    if rated:
        d["on_time_rate"] = rate(d["closed_on_time"], d["closed"])
        d["follow_up_rate"] = rate(d["followed_up"], d["closed"])
        d["satisfaction_rate"] = rate(d["satisfied"], d["followed_up"])
    return d


async def complaint_stats(conn: asyncpg.Connection, *, today: dt.date) -> Stats:
    """All figures for the statistics page and its JSON twin."""
    total = await conn.fetchrow(f"SELECT {COUNTS} FROM complaints", list(SATISFIED))
    assert total is not None
    return Stats(
        **_with_rates(total),
        as_of=today,
        by_classification=await by_classification(conn),
        by_department=await by_department(conn),
        monthly=await monthly(conn, today=today),
        **await by_item(conn),
    )


async def by_item(conn: asyncpg.Connection) -> dict[str, Any]:
    """Complaints per item of the list they were linked to, for items with at least MIN_CASES
    (by_item); the complaints about other items are one number (items_below_minimum), so a
    single complaint cannot be traced to its item."""
    rows = await conn.fetch(
        """
        SELECT c.certificate_code AS code, coalesce(min(v.name), c.certificate_code) AS name,
               coalesce(min(v.status), '') AS status, count(*) AS n
        FROM complaints c
        LEFT JOIN versions_in_force('infinity') v ON v.code = c.certificate_code
        WHERE c.certificate_code IS NOT NULL
        GROUP BY c.certificate_code
        ORDER BY count(*) DESC, c.certificate_code
        """
    )
    shown = [r for r in rows if r["n"] >= MIN_CASES]
    return {
        "by_item": [
            ItemCount(code=r["code"], name=r["name"], status=r["status"], count=r["n"])
            for r in shown
        ],
        "items_below_minimum": sum(r["n"] for r in rows if r["n"] < MIN_CASES),
    }


async def by_classification(conn: asyncpg.Connection) -> list[ClassificationCount]:
    rows = await conn.fetch(
        "SELECT classification, count(*) AS n FROM complaints GROUP BY classification"
    )
    counts = {r["classification"]: r["n"] for r in rows}
    return [
        ClassificationCount(classification=str(c), label=CLASSIFICATION_LABELS[c], count=counts[c])
        for c in Classification
        if c in counts
    ]


async def by_department(conn: asyncpg.Connection) -> list[DepartmentFigures]:
    """Per department complained about; free-text departments are one group, 其他单位."""
    rows = await conn.fetch(
        f"""
        SELECT c.department_code, coalesce(min(d.name), $2) AS department, {COUNTS}
        FROM complaints c LEFT JOIN departments d ON d.code = c.department_code
        GROUP BY c.department_code
        ORDER BY count(*) DESC, c.department_code NULLS LAST
        """,
        list(SATISFIED),
        OTHER_DEPARTMENT,
    )
    return [
        msgspec.convert(_with_rates(r, rated=r["received"] >= MIN_CASES), DepartmentFigures)
        for r in rows
    ]


async def monthly(conn: asyncpg.Connection, *, today: dt.date) -> list[MonthCount]:
    """Received and closed in each of the last 12 calendar months, oldest first."""
    rows = await conn.fetch(
        """
        SELECT to_char(m, 'YYYY-MM') AS month,
               (SELECT count(*) FROM complaints
                WHERE submitted_at >= m AND submitted_at < m + interval '1 month') AS received,
               (SELECT count(*) FROM complaints
                WHERE closed_at >= m AND closed_at < m + interval '1 month') AS closed
        FROM generate_series(date_trunc('month', $1::date) - interval '11 months',
                             date_trunc('month', $1::date), interval '1 month') AS m
        ORDER BY m
        """,
        today,
    )
    return [MonthCount(month=r["month"], received=r["received"], closed=r["closed"]) for r in rows]


async def anonymised_complaints(conn: asyncpg.Connection) -> list[ComplaintRow]:
    """No description, place, matter, contact or disclosure: what may be published. Nothing
    the complainant typed either: the certificate is the list's own name for the item the
    complaint was linked to, or UNLISTED_CERTIFICATE (a typed name may carry personal data)."""
    rows = await conn.fetch(
        """
        SELECT row_number() OVER (ORDER BY c.submitted_at, c.id) AS number,
               c.submitted_at::date AS submitted_on,
               coalesce(d.name, $1) AS department,
               coalesce(v.name, $2) AS certificate_name, c.classification,
               c.status, c.closed_at::date AS closed_on, c.closed_on_time, c.satisfaction
        FROM complaints c
        LEFT JOIN departments d ON d.code = c.department_code
        LEFT JOIN versions_in_force('infinity') v ON v.code = c.certificate_code
        ORDER BY c.submitted_at, c.id
        """,
        OTHER_DEPARTMENT,
        UNLISTED_CERTIFICATE,
    )
    return [msgspec.convert(dict(r), ComplaintRow) for r in rows]
