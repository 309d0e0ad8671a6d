"""SQL for complaints, their private contacts and their timeline."""

from __future__ import annotations

import datetime as dt

import asyncpg

from registry.db import many
from registry.models import NewComplaint, TimelineEvent


async def find_by_key(conn: asyncpg.Connection, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT id, reference, request_hash, status, classification, reply_due
        FROM complaints WHERE idempotency_key = $1
        """,
        key,
    )


async def insert_complaint(
    conn: asyncpg.Connection,
    c: NewComplaint,
    *,
    reference: str,
    access_code_hash: str,
    certificate_code: str | None,
    classification: str,
    accept_due: dt.date,
    reply_due: dt.date,
    idempotency_key: str | None,
    request_hash: str,
) -> int | None:
    """Insert; None when the idempotency key was taken meanwhile (the caller replays)."""
    cid: int | None = await conn.fetchval(
        """
        INSERT INTO complaints (
            reference, access_code_hash, department_code, department_other, certificate_name,
            certificate_code, matter, demanded_on, place, description, disclosure,
            classification, accept_due, reply_due, idempotency_key, request_hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id
        """,
        reference,
        access_code_hash,
        c.department_code,
        c.department_other,
        c.certificate_name,
        certificate_code,
        c.matter,
        c.demanded_on,
        c.place,
        c.description,
        str(c.disclosure),
        classification,
        accept_due,
        reply_due,
        idempotency_key,
        request_hash,
    )
    return cid


async def insert_contact(conn: asyncpg.Connection, complaint_id: int, c: NewComplaint) -> None:
    await conn.execute(
        "INSERT INTO complaint_contacts (complaint_id, name, phone, email) VALUES ($1, $2, $3, $4)",
        complaint_id,
        c.contact_name,
        c.contact_phone,
        c.contact_email,
    )


async def insert_event(
    conn: asyncpg.Connection,
    complaint_id: int,
    *,
    kind: str,
    public: bool,
    actor: str,
    note: str = "",
    status_from: str | None = None,
    status_to: str | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO complaint_events
            (complaint_id, kind, public, actor, note, status_from, status_to)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        complaint_id,
        kind,
        public,
        actor,
        note,
        status_from,
        status_to,
    )


async def get_for_tracking(conn: asyncpg.Connection, reference: str) -> asyncpg.Record | None:
    """The public facts and the code hash; contact data is in another table and not read."""
    return await conn.fetchrow(
        """
        SELECT c.id, c.reference, c.access_code_hash, c.status, c.classification,
               c.certificate_name, c.certificate_code,
               coalesce(d.name, c.department_other) AS department, c.matter, c.demanded_on,
               c.place, c.description, c.submitted_at, c.accept_due, c.reply_due
        FROM complaints c LEFT JOIN departments d ON d.code = c.department_code
        WHERE c.reference = $1
        """,
        reference,
    )


async def public_timeline(conn: asyncpg.Connection, complaint_id: int) -> list[TimelineEvent]:
    rows = await conn.fetch(
        """
        SELECT at, kind, status_to, note FROM complaint_events
        WHERE complaint_id = $1 AND public
        ORDER BY at, id
        """,
        complaint_id,
    )
    return many(TimelineEvent, rows)
