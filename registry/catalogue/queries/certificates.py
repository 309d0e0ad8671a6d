"""SQL for the certificate list: every read is 'as in force on a date'."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from registry.catalogue.models import (
    CHANGE_LABELS,
    COMPARED,
    Certificate,
    Status,
    Summary,
    Version,
    field_changes,
)
from registry.catalogue.queries.columns import IN_FORCE, LATEST, SELECT, to_certificate
from registry.infra.db import many, one


async def list_certificates(
    conn: asyncpg.Connection,
    *,
    on: dt.date,
    status: str | None = None,
    q: str | None = None,
    department: str | None = None,
    domain: str | None = None,
    replacement: str | None = None,
    kind: str | None = None,
    codes: list[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[Certificate], int]:
    rows = await conn.fetch(
        f"""
        SELECT {SELECT}, count(*) OVER () AS total
        FROM {IN_FORCE}
        WHERE ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR strpos(name, $3) > 0
               OR strpos(array_to_string(aliases, '|'), $3) > 0
               OR code = ANY($9::text[]))
          AND ($4::text IS NULL OR $4 = ANY(demanded_by))
          AND ($5::text IS NULL OR domain = $5)
          AND ($6::text IS NULL OR $6 = ANY(replacement_methods))
          AND ($10::text IS NULL OR replacement_kind = $10)
        ORDER BY code
        LIMIT $7 OFFSET $8
        """,
        on,
        status,
        q,
        department,
        domain,
        replacement,
        limit,
        offset,
        codes or [],
        kind,
    )
    total = rows[0]["total"] if rows else 0
    if not rows and offset:
        total = await count_certificates(conn, on=on, status=status)
    return [to_certificate(r) for r in rows], total


async def in_force(conn: asyncpg.Connection, *, on: dt.date) -> list[Certificate]:
    """Every item in force on a date, through a cursor: a large list is never held twice, as
    records and as Certificates (for 200,000 items that peak stayed in the worker's RSS)."""
    out: list[Certificate] = []
    async with conn.transaction():
        async for row in conn.cursor(
            f"SELECT {SELECT} FROM {IN_FORCE} ORDER BY code",
            on,
            prefetch=2000,
        ):
            out.append(msgspec.convert(dict(row), Certificate))
    return out


async def count_certificates(
    conn: asyncpg.Connection, *, on: dt.date, status: str | None = None
) -> int:
    n: int = await conn.fetchval(
        f"SELECT count(*) FROM {IN_FORCE} WHERE $2::text IS NULL OR status = $2",
        on,
        status,
    )
    return n


async def get_certificate(
    conn: asyncpg.Connection, code: str, *, on: dt.date
) -> Certificate | None:
    row = await conn.fetchrow(
        f"SELECT {SELECT} FROM {IN_FORCE} WHERE code = $2",
        on,
        code,
    )
    return one(Certificate, row)


async def get_latest(conn: asyncpg.Connection, code: str) -> Certificate | None:
    """The newest live version, even if it only takes effect in the future."""
    row = await conn.fetchrow(f"SELECT {SELECT} FROM {LATEST} WHERE code = $1", code)
    return one(Certificate, row)


async def history(conn: asyncpg.Connection, code: str) -> list[Version]:
    """Newest first; each version with what it changed against the one before it (by
    effective date, then id; a same-day predecessor that was superseded means a correction).
    Who made the change stays in the audit log."""
    rows = await conn.fetch(
        f"""
        SELECT id, {SELECT}, valid_to, change_reason, recorded_at, superseded_at, initial
        FROM certificate_versions
        WHERE code = $1
        ORDER BY valid_from, id
        """,
        code,
    )
    out: list[Version] = []
    prev: tuple[Certificate, asyncpg.Record] | None = None
    for r in rows:
        cert = to_certificate(r)
        change = _change_kind(r, cert, prev)
        out.append(
            Version(
                id=r["id"],
                valid_from=r["effective_from"],
                valid_to=r["valid_to"],
                name=cert.name,
                status=cert.status,
                change=change,
                change_label=CHANGE_LABELS[change],
                change_reason="" if r["initial"] else r["change_reason"],
                decision_doc=cert.decision_doc,
                recorded_at=r["recorded_at"],
                superseded_at=r["superseded_at"],
                changes=field_changes(prev[0], cert, COMPARED) if prev else [],
            )
        )
        prev = (cert, r)
    out.reverse()
    return out


def _change_kind(
    row: asyncpg.Record, cert: Certificate, prev: tuple[Certificate, asyncpg.Record] | None
) -> str:
    """The same rule as the change log (queries/changes.py)."""
    if row["initial"]:
        return "initial"
    if prev is None:
        return "added"
    before, prev_row = prev
    if prev_row["superseded_at"] is not None and before.effective_from == cert.effective_from:
        return "corrected"
    if before.status != cert.status:
        return "abolished" if cert.status == Status.ABOLISHED else "restored"
    return "amended"


async def summary(conn: asyncpg.Connection, *, on: dt.date) -> Summary:
    row = await conn.fetchrow(
        f"""
        SELECT count(*) AS reviewed,
               count(*) FILTER (WHERE status = 'abolished') AS abolished,
               count(*) FILTER (WHERE status = 'retained') AS retained
        FROM {IN_FORCE}
        """,
        on,
    )
    assert row is not None
    reviewed = row["reviewed"]
    rate = round(row["abolished"] / reviewed, 3) if reviewed else 0.0
    return Summary(
        reviewed=reviewed,
        abolished=row["abolished"],
        retained=row["retained"],
        abolished_rate=rate,
        as_of=on,
    )


async def facets(conn: asyncpg.Connection, *, on: dt.date, status: str) -> dict[str, list[str]]:
    """The values a list page offers as filters, taken from the rows themselves."""
    row = await conn.fetchrow(
        f"""
        SELECT
          ARRAY(SELECT DISTINCT domain FROM {IN_FORCE} v
                WHERE status = $2 AND domain <> '' ORDER BY domain) AS domains,
          ARRAY(SELECT DISTINCT m FROM {IN_FORCE} v, unnest(v.replacement_methods) m
                WHERE status = $2 ORDER BY m) AS methods,
          ARRAY(SELECT DISTINCT d FROM {IN_FORCE} v, unnest(v.demanded_by) d
                WHERE status = $2 ORDER BY d) AS departments
        """,
        on,
        status,
    )
    assert row is not None
    return {k: list(row[k]) for k in ("domains", "methods", "departments")}


async def max_version_id(conn: asyncpg.Connection) -> int:
    n: int = await conn.fetchval("SELECT coalesce(max(id), 0) FROM certificate_versions")
    return n


async def codes_by_name(conn: asyncpg.Connection) -> dict[str, str]:
    """Current name -> code, for imports whose rows carry no code."""
    rows = await conn.fetch(f"SELECT code, name FROM {LATEST} ORDER BY code")
    return {r["name"]: r["code"] for r in rows}


async def next_code(conn: asyncpg.Connection, prefix: str = "CY-ZM-") -> str:
    n = await conn.fetchval(
        """
        SELECT coalesce(max(substring(code FROM '\\d+$')::int), 0) + 1
        FROM certificates WHERE code LIKE $1 || '%'
        """,
        prefix,
    )
    return f"{prefix}{n:03d}"


__all__ = ["Status"]


async def list_latest(conn: asyncpg.Connection) -> list[Certificate]:
    """Every item's newest live version, scheduled ones included: the register as exported."""
    rows = await conn.fetch(f"SELECT {SELECT} FROM {LATEST} ORDER BY code")
    return many(Certificate, rows)
