"""SQL for list administration: the editors' lock, the latest versions, uploaded batches."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from registry.models import Certificate
from registry.queries.certificates import COLUMNS

# One lock for every writer of the list (form edits, additions, browser imports): at county
# scale serialising them costs nothing and makes "check the latest version, then write" safe.
LIST_LOCK = 7_331_001
# The columns of a Certificate as the CTE below names them.
LATEST = """
    code, name, status, aliases, issuer, demanded_by, matters, legal_basis,
    legal_basis_level, domain, replacement, replacement_methods, retain_reason,
    decision_doc, effective_from, note
"""


async def lock_list(conn: asyncpg.Connection) -> None:
    """Held until the surrounding transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", LIST_LOCK)


async def latest_version_id(conn: asyncpg.Connection, code: str) -> int | None:
    """The id of the newest live version: what an edit form was built from."""
    vid: int | None = await conn.fetchval(
        """
        SELECT id FROM certificate_versions
        WHERE code = $1 AND superseded_at IS NULL
        ORDER BY valid_from DESC
        LIMIT 1
        """,
        code,
    )
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
        WITH latest AS (
            SELECT DISTINCT ON (code) {COLUMNS}
            FROM certificate_versions
            WHERE superseded_at IS NULL
            ORDER BY code, valid_from DESC
        )
        SELECT {LATEST}, count(*) OVER () AS total
        FROM latest
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
    items = [msgspec.convert(_without_total(r), Certificate) for r in rows]
    return items, total


def _without_total(row: asyncpg.Record) -> dict[str, Any]:
    data = dict(row)
    data.pop("total", None)
    return data


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


async def get_batch(conn: asyncpg.Connection, batch_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT id, uploaded_by, filename, data, uploaded_at, applied_at, report
        FROM import_batches WHERE id = $1
        """,
        batch_id,
    )


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
