"""SQL for 部门核查 requests: create, read (only by the two departments and the office), list,
the compare-and-set of a workflow step, the timeline, terms and mailboxes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import msgspec

from registry.infra.namedsql import NamedSQL

# A request as the pages read it: the item's newest name, both departments' names.
SELECT = """
    SELECT r.*, coalesce(v.name, r.code) AS item_name,
           fd.name AS from_name, td.name AS to_name
    FROM verification_requests r
    JOIN departments fd ON fd.code = r.from_department
    JOIN departments td ON td.code = r.to_department
    LEFT JOIN versions_in_force('infinity') v ON v.code = r.code
"""
# Visible to the office (scope NULL) and to the two departments the request names.
VISIBLE = "($2::text IS NULL OR $2 IN (r.from_department, r.to_department))"


async def abolished_item(
    conn: asyncpg.Connection, code: str, day: dt.date
) -> asyncpg.Record | None:
    """The item, if it is abolished in the version in force on day."""
    return await conn.fetchrow(
        "SELECT code, name, issuer FROM versions_in_force($2::date)"
        " WHERE code = $1 AND status = 'abolished'",
        code,
        day,
    )


async def abolished_items(conn: asyncpg.Connection, day: dt.date) -> list[asyncpg.Record]:
    """Every abolished item in force on day, with the department that issued it (when the
    issuer is a department's name) and its answer term: the new-request form's choices."""
    return await conn.fetch(
        """
        SELECT v.code, v.name, v.issuer, d.code AS issuer_department, t.unit, t.amount
        FROM versions_in_force($1::date) v
        LEFT JOIN departments d ON d.name = v.issuer
        LEFT JOIN verification_terms t ON t.code = v.code
        WHERE v.status = 'abolished'
        ORDER BY v.code
        """,
        day,
    )


async def department_exists(conn: asyncpg.Connection, code: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM departments WHERE code = $1", code))


async def term(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT unit, amount FROM verification_terms WHERE code = $1", code)


async def set_term(conn: asyncpg.Connection, code: str, unit: str, amount: int, by: str) -> None:
    await conn.execute(
        """
        INSERT INTO verification_terms (code, unit, amount, updated_by) VALUES ($1, $2, $3, $4)
        ON CONFLICT (code) DO UPDATE SET unit = $2, amount = $3, updated_by = $4,
            updated_at = now()
        """,
        code,
        unit,
        amount,
        by,
    )


class NewRequest(msgspec.Struct, kw_only=True, frozen=True):
    year: int
    code: str
    from_department: str
    to_department: str
    matter: str
    case_ref: str
    question: str
    applicant: str
    due_at: dt.datetime
    created_by: str
    idempotency_key: str | None
    request_hash: str
    created_at: dt.datetime


INSERT = NamedSQL(
    """
    INSERT INTO verification_requests (
        reference, code, from_department, to_department, matter, case_ref, question,
        applicant, due_at, created_by, idempotency_key, request_hash, created_at)
    VALUES (
        'XC-' || :year::int || '-' || lpad(nextval('verification_numbers')::text, 6, '0'),
        :code, :from_department, :to_department, :matter, :case_ref, :question,
        :applicant, :due_at, :created_by, :idempotency_key, :request_hash, :created_at)
    ON CONFLICT (from_department, idempotency_key) DO NOTHING
    RETURNING id, reference
    """
)


async def insert(conn: asyncpg.Connection, new: NewRequest) -> asyncpg.Record | None:
    """The new row's (id, reference); None when the department already used the key."""
    values = msgspec.structs.asdict(new)
    return await conn.fetchrow(INSERT.sql, *INSERT.args(**values))


async def by_key(conn: asyncpg.Connection, department: str, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, reference, request_hash FROM verification_requests"
        " WHERE from_department = $1 AND idempotency_key = $2",
        department,
        key,
    )


async def get(conn: asyncpg.Connection, reference: str, scope: str | None) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{SELECT} WHERE r.reference = $1 AND {VISIBLE}", reference, scope)


async def get_by_id(conn: asyncpg.Connection, rid: int, scope: str | None) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{SELECT} WHERE r.id = $1 AND {VISIBLE}", rid, scope)


# box: incoming (to the department), outgoing (from it), all (scope NULL: the office).
# status 'overdue' also finds the open requests past their deadline the sweep has not moved.
LIST = f"""
    {SELECT}
    WHERE CASE $1::text WHEN 'incoming' THEN r.to_department = $2
                        WHEN 'outgoing' THEN r.from_department = $2
                        ELSE $2::text IS NULL END
      AND ($3::text IS NULL
           OR ($3 = 'overdue' AND (r.status = 'overdue'
                                   OR (r.status IN ('pending', 'received') AND r.due_at < $4)))
           OR ($3 <> 'overdue' AND r.status = $3))
    ORDER BY r.created_at DESC, r.id DESC
    LIMIT $5 OFFSET $6
"""


async def listing(
    conn: asyncpg.Connection,
    box: str,
    scope: str | None,
    status: str | None,
    now: dt.datetime,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(LIST, box, scope, status, now, limit, offset)


class Changes(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """What a step changes besides the status; a field left out stays as it is."""

    received_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    overdue_at: dt.datetime | None = None
    result: str | None = None
    note: str | None = None
    urged_at: dt.datetime | None = None  # counts one 督办

    def for_audit(self) -> dict[str, Any]:
        return {
            f: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for f in self.__struct_fields__
            if (v := getattr(self, f)) is not None
        }


CAS = """
    UPDATE verification_requests SET
        status = $3,
        received_at = coalesce($5, received_at),
        answered_at = coalesce($6, answered_at),
        overdue_at = coalesce($7, overdue_at),
        result = coalesce($8, result),
        note = coalesce($9, note),
        urged_count = urged_count + CASE WHEN $10::timestamptz IS NULL THEN 0 ELSE 1 END,
        last_urged_at = coalesce($10, last_urged_at),
        version = version + 1
    WHERE id = $1 AND status = $2 AND version = $4
    RETURNING id
"""


async def compare_and_set(
    conn: asyncpg.Connection, rid: int, expected: str, version: int, status: str, c: Changes
) -> bool:
    row = await conn.fetchrow(
        CAS, rid, expected, status, version,
        c.received_at, c.answered_at, c.overdue_at, c.result, c.note, c.urged_at,
    )  # fmt: skip
    return row is not None


async def insert_event(
    conn: asyncpg.Connection,
    rid: int,
    *,
    at: dt.datetime,
    kind: str,
    params: dict[str, Any],
    actor: str,
    status_from: str | None,
    status_to: str,
    note: str = "",
) -> None:
    await conn.execute(
        """
        INSERT INTO verification_events
            (request_id, at, kind, params, actor, status_from, status_to, note)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """,
        rid, at, kind, params, actor, status_from, status_to, note,
    )  # fmt: skip


async def events(conn: asyncpg.Connection, rid: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT at, kind, params, actor, status_from, status_to, note"
        " FROM verification_events WHERE request_id = $1 ORDER BY id",
        rid,
    )


async def mailboxes(conn: asyncpg.Connection, owners: list[str]) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT owner, email FROM verification_mailboxes WHERE owner = ANY($1::text[])", owners
    )
    return {r["owner"]: r["email"] for r in rows}


async def past_due(conn: asyncpg.Connection, now: dt.datetime, limit: int) -> list[asyncpg.Record]:
    """Open requests past their deadline the sweep has not marked yet."""
    return await conn.fetch(
        "SELECT id, status FROM verification_requests"
        " WHERE status IN ('pending', 'received') AND due_at < $1 AND overdue_at IS NULL"
        " ORDER BY due_at LIMIT $2",
        now,
        limit,
    )


async def visible_id(conn: asyncpg.Connection, reference: str, scope: str | None) -> int | None:
    rid = await conn.fetchval(
        f"SELECT r.id FROM verification_requests r WHERE r.reference = $1 AND {VISIBLE}",
        reference,
        scope,
    )
    return int(rid) if rid is not None else None


async def clear_term(conn: asyncpg.Connection, code: str) -> None:
    await conn.execute("DELETE FROM verification_terms WHERE code = $1", code)


async def all_mailboxes(conn: asyncpg.Connection) -> dict[str, str]:
    rows = await conn.fetch("SELECT owner, email FROM verification_mailboxes")
    return {r["owner"]: r["email"] for r in rows}


async def set_mailbox(conn: asyncpg.Connection, owner: str, email: str | None) -> None:
    """An owner's address, or none (email None)."""
    if email is None:
        await conn.execute("DELETE FROM verification_mailboxes WHERE owner = $1", owner)
        return
    await conn.execute(
        """
        INSERT INTO verification_mailboxes (owner, email) VALUES ($1, $2)
        ON CONFLICT (owner) DO UPDATE SET email = excluded.email
        """,
        owner,
        email,
    )
