"""SQL for the public change log: the initial list is one event; every later version row is
one change to the list."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from registry.catalogue.models import CHANGE_LABELS as VERSION_LABELS
from registry.catalogue.models import STATUS_LABELS, Status

# The log's words: the initial list is an event of its own, not a label of each item.
CHANGE_LABELS = VERSION_LABELS | {"initial": "初始清单"}


class ListCounts(msgspec.Struct, kw_only=True):
    total: int
    retained: int
    abolished: int


class Change(msgspec.Struct, kw_only=True):
    """One entry of the change log (JSON keys as in the v1 contract). The initial list has no
    code or status of its own: `counts` says what it held."""

    version_id: int
    code: str
    name: str
    status: str
    change: str
    change_label: str
    title: str
    valid_from: dt.date
    recorded_at: dt.datetime
    decision_doc: str
    reason: str
    superseded: bool
    counts: ListCounts | None = None


class ChangePage(msgspec.Struct, kw_only=True):
    items: list[Change]
    total: int
    page: int
    per_page: int


# The previous version is the one before it by (valid_from, id) within the code: a same-day
# correction supersedes the earlier row, so a predecessor with the same date that is
# superseded means this row is a correction. The initial list's versions are one row.
CHANGES = """
    WITH v AS (
        SELECT id, code, name, status, valid_from, recorded_at, decision_doc, change_reason,
               superseded_at, initial,
               lag(id) OVER w AS prev_id,
               lag(status) OVER w AS prev_status,
               lag(valid_from) OVER w AS prev_valid_from,
               lag(superseded_at) OVER w AS prev_superseded_at
        FROM certificate_versions
        WINDOW w AS (PARTITION BY code ORDER BY valid_from, id)
    ), entries AS (
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
               NULL::int AS n_total, NULL::int AS n_retained, NULL::int AS n_abolished
        FROM v
        WHERE NOT initial
        UNION ALL
        SELECT min(id), '', '初始清单', '', 'initial', min(valid_from), min(recorded_at),
               coalesce(string_agg(DISTINCT nullif(decision_doc, ''), '、'), ''), '', false,
               count(*)::int, (count(*) FILTER (WHERE status = 'retained'))::int,
               (count(*) FILTER (WHERE status = 'abolished'))::int
        FROM certificate_versions
        WHERE initial
        HAVING count(*) > 0
    )
    SELECT version_id, code, name, status, change, valid_from, recorded_at, decision_doc,
           reason, superseded, n_total, n_retained, n_abolished, count(*) OVER () AS total
    FROM entries
    WHERE ($1::date IS NULL OR recorded_at >= $1::date)
    ORDER BY recorded_at DESC, version_id DESC
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
    n = (d.pop("n_total"), d.pop("n_retained"), d.pop("n_abolished"))
    d["change_label"] = CHANGE_LABELS[d["change"]]
    d["title"] = ""
    if d["change"] == "initial":
        d["counts"] = {"total": n[0], "retained": n[1], "abolished": n[2]}
    change = msgspec.convert(d, Change)
    change.title = title(change)
    return change


def title(c: Change) -> str:
    """One line a reader understands without the table around it."""
    if c.counts is not None:
        doc = f"{c.decision_doc}，" if c.decision_doc else ""
        return (
            f"初始清单（{doc}{c.valid_from.isoformat()} 起生效）：共 {c.counts.total} 项，"
            f"保留 {c.counts.retained} 项，取消 {c.counts.abolished} 项"
        )
    return f"{c.change_label}：{c.name}（{c.code}），现为{STATUS_LABELS[Status(c.status)]}"


async def count_changes(conn: asyncpg.Connection, *, since: dt.date | None = None) -> int:
    """Entries as list_changes counts them: the initial list's versions are one."""
    n: int = await conn.fetchval(
        """
        SELECT count(*) FILTER (WHERE NOT initial)
               + CASE WHEN bool_or(initial) THEN 1 ELSE 0 END
        FROM certificate_versions
        WHERE ($1::date IS NULL OR recorded_at >= $1::date)
        """,
        since,
    )
    return n or 0
