"""SQL for list administration: the editors' lock, the latest versions, uploaded batches."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import asyncpg
import msgspec

from registry.catalogue.models import Certificate
from registry.catalogue.queries.columns import (
    FIELD_COLUMNS,
    INSERT,
    LATEST,
    SELECT,
    to_certificate,
)

# One lock for every writer of the list (form edits, additions, browser imports): at county
# scale serialising them costs nothing and makes "check the latest version, then write" safe.
LIST_LOCK = 7_331_001


async def lock_list(conn: asyncpg.Connection) -> None:
    """Held until the surrounding transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", LIST_LOCK)


async def latest_version_id(conn: asyncpg.Connection, code: str) -> int | None:
    """The id of the newest live version: what an edit form was built from."""
    vid: int | None = await conn.fetchval(f"SELECT id FROM {LATEST} WHERE code = $1", code)
    return vid


async def latest_page(
    conn: asyncpg.Connection,
    *,
    q: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Certificate], int]:
    """Every item's newest live version (scheduled changes included), searched and paged."""
    rows = await conn.fetch(
        f"""
        SELECT {SELECT}, count(*) OVER () AS total
        FROM {LATEST}
        WHERE ($1::text IS NULL OR strpos(name, $1) > 0
               OR strpos(array_to_string(aliases, '|'), $1) > 0 OR code = $1)
          AND ($2::text IS NULL OR status = $2)
        ORDER BY code
        LIMIT $3 OFFSET $4
        """,
        q,
        status,
        limit,
        offset,
    )
    total = int(rows[0]["total"]) if rows else 0
    items = [to_certificate(r) for r in rows]
    return items, total


async def insert_batch(
    conn: asyncpg.Connection, *, uploaded_by: str, filename: str, data: bytes
) -> int:
    bid: int = await conn.fetchval(
        "INSERT INTO import_batches (uploaded_by, filename, data) VALUES ($1, $2, $3) RETURNING id",
        uploaded_by,
        filename,
        data,
    )
    return bid


async def set_report(conn: asyncpg.Connection, batch_id: int, report: dict[str, Any]) -> None:
    await conn.execute("UPDATE import_batches SET report = $2 WHERE id = $1", batch_id, report)


async def claim_batch(conn: asyncpg.Connection, batch_id: int) -> asyncpg.Record | None:
    """Compare-and-set: only the first apply gets the bytes back; a second gets None."""
    return await conn.fetchrow(
        """
        UPDATE import_batches SET applied_at = now()
        WHERE id = $1 AND applied_at IS NULL
        RETURNING filename, data
        """,
        batch_id,
    )


async def recent_batches(conn: asyncpg.Connection, limit: int = 10) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT id, uploaded_by, filename, uploaded_at, applied_at
        FROM import_batches ORDER BY id DESC LIMIT $1
        """,
        limit,
    )


# ---- the importer, set-based ----------------------------------------------------------------


async def latest_of(
    conn: asyncpg.Connection, codes: list[str], names: list[str]
) -> list[Certificate]:
    """The newest live version of every item with one of these codes or whose current name is
    one of these names, ordered by code: one query for a whole file, read through a cursor so
    200,000 records are never held beside their Certificates. Call inside a transaction."""
    out: list[Certificate] = []
    async for row in conn.cursor(
        f"""
        SELECT {SELECT} FROM {LATEST}
        WHERE code = ANY($1::text[]) OR name = ANY($2::text[])
        ORDER BY code
        """,
        codes,
        names,
        prefetch=5_000,
    ):
        out.append(msgspec.convert(dict(row), Certificate))
    return out


async def next_code_number(conn: asyncpg.Connection, prefix: str) -> int:
    n: int = await conn.fetchval(
        """
        SELECT coalesce(max(substring(code FROM '\\d+$')::int), 0) + 1
        FROM certificates WHERE code LIKE $1 || '%'
        """,
        prefix,
    )
    return n


class VersionEnd(NamedTuple):
    code: str
    on: dt.date
    correction: bool  # same effective date: superseded, else closed on that date


async def end_versions(conn: asyncpg.Connection, ends: list[VersionEnd]) -> None:
    """A correction supersedes the version of the same date; a later one closes the open
    version on its date. One statement for a batch."""
    if not ends:
        return
    await conn.execute(
        """
        UPDATE certificate_versions v
        SET superseded_at = CASE WHEN e.correction THEN now() ELSE v.superseded_at END,
            valid_to = CASE WHEN e.correction THEN v.valid_to ELSE e.day END
        FROM unnest($1::text[], $2::date[], $3::bool[]) AS e(code, day, correction)
        WHERE v.code = e.code AND v.superseded_at IS NULL
          AND CASE WHEN e.correction THEN v.valid_from = e.day ELSE v.valid_to IS NULL END
        """,
        [e.code for e in ends],
        [e.on for e in ends],
        [e.correction for e in ends],
    )


async def insert_versions(
    conn: asyncpg.Connection,
    certs: list[Certificate],
    *,
    changed_by: str,
    change_reason: str,
    initial: bool = False,
) -> None:
    """New certificates (codes not yet taken) and one version each, valid from its effective
    date, in one statement: the rows travel as one JSON document, arrays and all. `initial`:
    these versions are the initial list (the first write into an empty register)."""
    if not certs:
        return
    doc = msgspec.json.encode([{col: getattr(c, f) for f, col in FIELD_COLUMNS} for c in certs])
    await conn.execute(INSERT_VERSIONS, doc.decode(), changed_by, change_reason, initial)


# The rows typed by the table itself: a new column needs no edit here.
INSERT_VERSIONS = f"""
    WITH r AS (
        SELECT * FROM json_populate_recordset(NULL::certificate_versions, $1::text::json)
    ), identities AS (
        INSERT INTO certificates (code) SELECT code FROM r ON CONFLICT (code) DO NOTHING
    )
    INSERT INTO certificate_versions ({INSERT}, changed_by, change_reason, initial)
    SELECT {INSERT}, $2, $3, $4 FROM r
"""


async def register_empty(conn: asyncpg.Connection) -> bool:
    """No version at all yet: the next applied write is the initial list."""
    return not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM certificate_versions)")


async def list_official(conn: asyncpg.Connection) -> bool:
    """Whether the office has loaded the county's official list (else: the reconstruction)."""
    return bool(await conn.fetchval("SELECT official FROM list_record"))


async def mark_official(conn: asyncpg.Connection, *, actor: str, reason: str) -> bool:
    """Set once; its trigger NOTIFYs, so every worker drops its pages (the notice goes)."""
    done = await conn.fetchval(
        "UPDATE list_record SET official = true, official_at = now()"
        " WHERE NOT official RETURNING true"
    )
    if done:
        await conn.execute(
            "INSERT INTO audit_log (actor, action, entity, reason)"
            " VALUES ($1, 'list.official', 'certificate_list', $2)",
            actor,
            reason,
        )
    return bool(done)


async def insert_change_audits(
    conn: asyncpg.Connection,
    changes: list[tuple[str, Any, Any]],
    *,
    actor: str,
    reason: str,
) -> None:
    """One `list.change` audit row per (code, before, after), in order, in one statement."""
    if not changes:
        return
    doc = msgspec.json.encode([{"code": c, "before": b, "after": a} for c, b, a in changes])
    await conn.execute(
        """
        INSERT INTO audit_log (actor, action, entity, entity_id, before, after, reason)
        SELECT $2, 'list.change', 'certificate', r.code, r.before, r.after, $3
        FROM ROWS FROM (json_to_recordset($1::text::json) AS (code text, before jsonb, after jsonb))
             WITH ORDINALITY AS r(code, before, after, n)
        ORDER BY r.n
        """,
        doc.decode(),
        actor,
        reason,
    )


async def batch_page(
    conn: asyncpg.Connection, batch_id: int, *, offset: int, limit: int
) -> asyncpg.Record | None:
    """A batch and one page of its stored preview, sliced in the database: a preview stored
    before the caps (millions of errors) is never fetched whole."""
    return await conn.fetchrow(
        """
        SELECT id, uploaded_by, filename, uploaded_at, applied_at,
               report->'official' AS official,
               coalesce((report->>'added_count')::int,
                        jsonb_array_length(coalesce(report->'added', '[]'))) AS added_count,
               coalesce((report->>'changed_count')::int,
                        jsonb_array_length(coalesce(report->'changed', '[]'))) AS changed_count,
               coalesce((report->>'error_count')::int,
                        jsonb_array_length(coalesce(report->'errors', '[]'))) AS error_count,
               coalesce((report->>'warning_count')::int, 0) AS warning_count,
               coalesce((report->>'unchanged')::int, 0) AS unchanged,
               jsonb_array_length(coalesce(report->'added', '[]')) AS added_stored,
               jsonb_array_length(coalesce(report->'changed', '[]')) AS changed_stored,
               jsonb_array_length(coalesce(report->'errors', '[]')) AS errors_stored,
               jsonb_array_length(coalesce(report->'warnings', '[]')) AS warnings_stored,
               jsonb_path_query_array(coalesce(report->'added', '[]'), '$[$a to $b]', w.v) AS added,
               jsonb_path_query_array(coalesce(report->'changed', '[]'), '$[$a to $b]', w.v)
                   AS changed,
               jsonb_path_query_array(coalesce(report->'errors', '[]'), '$[$a to $b]', w.v)
                   AS errors,
               jsonb_path_query_array(coalesce(report->'warnings', '[]'), '$[$a to $b]', w.v)
                   AS warnings
        FROM import_batches, (SELECT jsonb_build_object('a', $2::int, 'b', $3::int) AS v) w
        WHERE id = $1
        """,
        batch_id,
        offset,
        offset + limit - 1,
    )


async def batch_file(conn: asyncpg.Connection, batch_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT filename, data, applied_at FROM import_batches WHERE id = $1", batch_id
    )
