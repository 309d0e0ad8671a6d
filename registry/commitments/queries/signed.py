"""SQL for signed commitments: signing, the clerk's lookup, the check, erasure, statistics.
Personal fields live in commitment_signers and are read only here, for staff pages."""

from __future__ import annotations

import datetime as dt

import asyncpg

from registry.commitments.models import ItemFigures, Signed, SignIn
from registry.infra.db import many

SELECT = """
    SELECT c.id, c.reference, c.code, f.item_name, c.department_code, d.name AS department,
           c.matter, c.signed_at, c.check_due, c.status, c.check_result, c.check_note,
           c.checked_by, c.checked_at, c.version, c.erased_at,
           coalesce(s.name, '') AS name, coalesce(s.id_number, '') AS id_number,
           coalesce(s.phone, '') AS phone
    FROM commitments c
    JOIN commitment_forms f ON f.id = c.form_id
    JOIN departments d ON d.code = c.department_code
    LEFT JOIN commitment_signers s ON s.commitment_id = c.id
"""


async def sign(
    conn: asyncpg.Connection,
    *,
    form_id: int,
    code: str,
    signer: SignIn,
    signed_at: dt.datetime,
    check_due: dt.date,
) -> str:
    """One signed commitment and its signer; the reference is CN-<year>-<number>. The audit
    row names the item and the window, never the person."""
    async with conn.transaction():
        row = await conn.fetchrow(
            """
            INSERT INTO commitments (reference, form_id, code, department_code, matter,
                signed_at, check_due)
            VALUES ('CN-' || $1::text || '-' || lpad(nextval('commitment_numbers')::text, 6, '0'),
                    $2, $3, $4, $5, $6, $7)
            RETURNING id, reference
            """,
            str(signed_at.year),
            form_id,
            code,
            signer.department,
            signer.matter,
            signed_at,
            check_due,
        )
        assert row is not None
        await conn.execute(
            "INSERT INTO commitment_signers (commitment_id, name, id_number, phone)"
            " VALUES ($1, $2, $3, $4)",
            row["id"],
            signer.name,
            signer.id_number,
            signer.phone,
        )
        await conn.execute(
            """
            INSERT INTO audit_log (actor, action, entity, entity_id, after)
            VALUES ('public', 'commitment.sign', 'commitment', $1,
                    jsonb_build_object('code', $2::text, 'department', $3::text))
            """,
            row["reference"],
            code,
            signer.department,
        )
    return str(row["reference"])


async def get(conn: asyncpg.Connection, reference: str, scope: str | None) -> Signed | None:
    """scope: a department's code (only its own commitments), None for the office."""
    row = await conn.fetchrow(
        SELECT + " WHERE c.reference = $1 AND ($2::text IS NULL OR c.department_code = $2)",
        reference,
        scope,
    )
    return many(Signed, [row])[0] if row else None


async def load(conn: asyncpg.Connection, case_id: int, scope: str | None) -> Signed | None:
    row = await conn.fetchrow(
        SELECT + " WHERE c.id = $1 AND ($2::text IS NULL OR c.department_code = $2)"
        " FOR UPDATE OF c",
        case_id,
        scope,
    )
    return many(Signed, [row])[0] if row else None


async def recent(
    conn: asyncpg.Connection, scope: str | None, *, unchecked: bool, limit: int = 50
) -> list[Signed]:
    rows = await conn.fetch(
        SELECT + " WHERE ($1::text IS NULL OR c.department_code = $1)"
        " AND (NOT $2 OR c.status = 'signed') ORDER BY c.signed_at DESC LIMIT $3",
        scope,
        unchecked,
        limit,
    )
    return many(Signed, rows)


async def save_check(
    conn: asyncpg.Connection,
    case: Signed,
    expected: str,
    *,
    result: str,
    note: str,
    by: str,
    at: dt.datetime,
) -> bool:
    """Compare-and-set on the status and the version the page was loaded with."""
    row = await conn.fetchrow(
        """
        UPDATE commitments SET status = 'checked', check_result = $3, check_note = $4,
               checked_by = $5, checked_at = $6, version = version + 1
        WHERE id = $1 AND status = $2 AND version = $7 RETURNING id
        """,
        case.id,
        expected,
        result,
        note,
        by,
        at,
        case.version,
    )
    return row is not None


async def item_figures(conn: asyncpg.Connection, min_cases: int) -> list[ItemFigures]:
    """Per item: signed, checked, found untrue; items below min_cases are left out (their
    shares would say more about chance, and about people, than about the item)."""
    rows = await conn.fetch(
        """
        SELECT c.code, (array_agg(f.item_name ORDER BY f.valid_from DESC))[1] AS item_name,
               count(*) AS signed,
               count(*) FILTER (WHERE c.status = 'checked') AS checked,
               count(*) FILTER (WHERE c.check_result = 'untrue') AS untrue
        FROM commitments c JOIN commitment_forms f ON f.id = c.form_id
        GROUP BY c.code HAVING count(*) >= $1
        ORDER BY count(*) DESC, c.code
        """,
        min_cases,
    )
    out = many(ItemFigures, rows)
    for item in out:
        item.checked_rate = round(item.checked / item.signed, 3) if item.signed else None
        item.untrue_rate = round(item.untrue / item.checked, 3) if item.checked else None
    return out


async def totals(conn: asyncpg.Connection) -> tuple[int, int, int]:
    row = await conn.fetchrow(
        """
        SELECT count(*) AS signed, count(*) FILTER (WHERE status = 'checked') AS checked,
               count(*) FILTER (WHERE check_result = 'untrue') AS untrue
        FROM commitments
        """
    )
    assert row is not None
    return int(row["signed"]), int(row["checked"]), int(row["untrue"])
