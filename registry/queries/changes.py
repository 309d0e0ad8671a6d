"""SQL for the public change log: every certificate version row is one change to the list."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

# What a version did, judged against the version of the same code just before it.
CHANGE_LABELS = {
    "added": "新增",
    "abolished": "取消",
    "restored": "恢复保留",
    "amended": "修改",
    "corrected": "更正",
}


class Change(msgspec.Struct, kw_only=True):
    """One entry of the change log (JSON keys as in the v1 contract)."""

    version_id: int
    code: str
    name: str
    status: str
    change: str
    change_label: str
    valid_from: dt.date
    recorded_at: dt.datetime
    decision_doc: str
    reason: str
    superseded: bool


class ChangePage(msgspec.Struct, kw_only=True):
    items: list[Change]
    total: int
    page: int
    per_page: int


# The previous version is the one before it by (valid_from, id) within the code: a same-day
# correction supersedes the earlier row, so a predecessor with the same date that is
# superseded means this row is a correction.
CHANGES = """
    WITH v AS (
        SELECT id, code, name, status, valid_from, recorded_at, decision_doc, change_reason,
               superseded_at,
               lag(id) OVER w AS prev_id,
               lag(status) OVER w AS prev_status,
               lag(valid_from) OVER w AS prev_valid_from,
               lag(superseded_at) OVER w AS prev_superseded_at
        FROM certificate_versions
        WINDOW w AS (PARTITION BY code ORDER BY valid_from, id)
    )
    SELECT id AS version_id, code, name, status,
           CASE
               WHEN prev_id IS NULL THEN 'added'
               WHEN prev_superseded_at IS NOT NULL AND prev_valid_from = valid_from
                   THEN 'corrected'
               WHEN prev_status <> status AND status = 'abolished' THEN 'abolished'
               WHEN prev_status <> status THEN 'restored'
               ELSE 'amended'
           END AS change,
           valid_from, recorded_at, decision_doc, change_reason AS reason,
           superseded_at IS NOT NULL AS superseded,
           count(*) OVER () AS total
    FROM v
    WHERE ($1::date IS NULL OR recorded_at >= $1::date)
    ORDER BY recorded_at DESC, id DESC
    LIMIT $2 OFFSET $3
"""


async def list_changes(
    conn: asyncpg.Connection,
    *,
    since: dt.date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> ChangePage:
    """Newest first; `since` keeps changes recorded on or after that day."""
    rows = await conn.fetch(CHANGES, since, per_page, (page - 1) * per_page)
    total = rows[0]["total"] if rows else 0
    if not rows and page > 1:
        total = await count_changes(conn, since=since)
    items = [_change(r) for r in rows]
    return ChangePage(items=items, total=total, page=page, per_page=per_page)


def _change(row: asyncpg.Record) -> Change:
    d = dict(row)
    d.pop("total")
    d["change_label"] = CHANGE_LABELS[d["change"]]
    return msgspec.convert(d, Change)


async def count_changes(conn: asyncpg.Connection, *, since: dt.date | None = None) -> int:
    n: int = await conn.fetchval(
        "SELECT count(*) FROM certificate_versions"
        " WHERE ($1::date IS NULL OR recorded_at >= $1::date)",
        since,
    )
    return n
