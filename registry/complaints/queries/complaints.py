"""SQL for complaints, their private contacts and their timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import asyncpg
import msgspec

from registry.complaints.models import ACCEPT_RUNS, REPLY_RUNS, NewComplaint, StoredEvent
from registry.infra.db import many
from registry.infra.namedsql import NamedSQL
from registry.infra.queries.ratelimits import HIT


async def find_by_key(conn: asyncpg.Connection, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT id, reference, request_hash, status, classification, reply_due
        FROM complaints WHERE idempotency_key = $1
        """,
        key,
    )


# The filing statement (see file()); bench/complaints.py also runs it through pgbench, binding
# by number: FILE_ORDER keeps today's $n numbering. prior: the key's earlier complaint. An exact
# replay (same key, same body) counts no hit and writes nothing; a redraw (:bucket NULL)
# neither counts nor checks the limit again. The first event and the acknowledgement are
# stored as data (kind + parameters, see complaints/events.py).
FILE_ORDER = (
    "reference", "access_code_hash", "department_code", "department_other",
    "certificate_name", "certificate_code", "matter", "demanded_on", "place", "description",
    "disclosure", "classification", "accept_due", "reply_due", "idempotency_key",
    "request_hash", "contact_name", "contact_phone", "contact_email", "keep_contact",
    "event_note", "recipient", "mail_kind", "mail_params", "bucket", "window", "limit",
)  # fmt: skip
FILING = NamedSQL(
    f"""
        WITH prior AS (
            SELECT reference, request_hash, status, classification, reply_due
            FROM complaints WHERE idempotency_key = :idempotency_key
        ), hit AS ({
        HIT.format(
            bucket=":bucket",
            window=":window::int",
            when=":bucket::text IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM prior WHERE request_hash = :request_hash)",
        )
    }
        ), c AS (
            INSERT INTO complaints (
                reference, access_code_hash, department_code, department_other,
                certificate_name, certificate_code, matter, demanded_on, place, description,
                disclosure, classification, accept_due, reply_due, idempotency_key, request_hash)
            SELECT :reference, :access_code_hash, :department_code, :department_other,
                   :certificate_name, :certificate_code, :matter, :demanded_on::date, :place,
                   :description, :disclosure, :classification, :accept_due::date,
                   :reply_due::date, :idempotency_key, :request_hash
            WHERE NOT EXISTS (SELECT 1 FROM prior)
              AND (:bucket::text IS NULL OR (SELECT hits FROM hit) <= :limit::int)
            ON CONFLICT DO NOTHING
            RETURNING id
        ), contact AS (
            INSERT INTO complaint_contacts (complaint_id, name, phone, email)
            SELECT id, :contact_name, :contact_phone, :contact_email FROM c
            WHERE :keep_contact::boolean
        ), event AS (
            INSERT INTO complaint_events
                (complaint_id, kind, public, actor, note, params, status_to)
            SELECT id, 'submitted', true, 'complainant', :event_note, '{{}}'::jsonb, 'submitted'
            FROM c
        ), audit AS (
            INSERT INTO audit_log (actor, action, entity, entity_id, after)
            SELECT 'public', 'complaint.file', 'complaint', :reference,
                   jsonb_build_object('classification', :classification::text) FROM c
        ), mail AS (
            INSERT INTO outbox (complaint_id, recipient, kind, params)
            SELECT id, :recipient, :mail_kind, :mail_params::jsonb FROM c
            WHERE :recipient::text IS NOT NULL
        )
        SELECT (SELECT id FROM c) AS id, hit.hits, hit.window_start,
               prior.reference, prior.request_hash, prior.status, prior.classification,
               prior.reply_due
        FROM (SELECT) AS one LEFT JOIN hit ON true LEFT JOIN prior ON true
""",
    FILE_ORDER,
)
FILE_SQL = FILING.sql


class Prior(NamedTuple):
    """The complaint already filed under the key."""

    reference: str
    request_hash: str
    status: str
    classification: str
    reply_due: dt.date


class Filed(NamedTuple):
    id: int | None  # None: nothing written (see file())
    hits: int | None  # None: no hit counted (a replay, or rate None)
    window_start: dt.datetime | None
    prior: Prior | None


async def file(
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
    keep_contact: bool,
    event_note: str,
    mail: tuple[str, str, dict[str, Any]] | None,
    rate: tuple[str, int, int] | None,
) -> Filed:
    """The whole filing in ONE statement, so it costs one round trip and is atomic even outside
    a transaction: look up the key's earlier complaint; unless this is its exact replay, count
    the client's hit (rate = bucket, limit, window seconds; None: already counted, a redraw);
    if the key is new and within the limit, write the complaint, its private contact, the
    first public event, the audit row and the acknowledgement (outbox). id is None when nothing
    was written: the key known (prior set: the caller replays or refuses), over the limit, or a
    unique conflict (a concurrent filing with the key, or the random reference taken: the
    caller looks again, or draws another). The audit row is the one audit write outside
    registry/infra/audit.py, for that reason."""
    recipient, mail_kind, mail_params = mail or (None, None, None)
    bucket, limit, window = rate or (None, 0, 1)
    # The complaint's own fields are named as the statement's parameters.
    args = FILING.args(
        **msgspec.structs.asdict(c) | {"disclosure": str(c.disclosure)},
        reference=reference,
        access_code_hash=access_code_hash,
        certificate_code=certificate_code,
        classification=classification,
        accept_due=accept_due,
        reply_due=reply_due,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        keep_contact=keep_contact,
        event_note=event_note,
        recipient=recipient,
        mail_kind=mail_kind,
        mail_params=mail_params,
        bucket=bucket,
        window=window,
        limit=limit,
    )
    row = await conn.fetchrow(FILING.sql, *args)
    assert row is not None
    prior = None
    if row["reference"] is not None:
        prior = Prior(
            row["reference"],
            row["request_hash"],
            row["status"],
            row["classification"],
            row["reply_due"],
        )
    return Filed(row["id"], row["hits"], row["window_start"], prior)


async def insert_event(
    conn: asyncpg.Connection,
    complaint_id: int,
    *,
    kind: str,
    public: bool,
    actor: str,
    params: dict[str, Any],
    note: str = "",
    status_from: str | None = None,
    status_to: str | None = None,
) -> None:
    """An event as data: kind + params, note the actor's own words (events.py renders it)."""
    await conn.execute(
        """
        INSERT INTO complaint_events
            (complaint_id, kind, public, actor, note, params, status_from, status_to)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """,
        complaint_id,
        kind,
        public,
        actor,
        note,
        params,
        status_from,
        status_to,
    )


async def get_for_tracking(
    conn: asyncpg.Connection, reference: str, filed_days: int
) -> asyncpg.Record | None:
    """The public facts and the code hash; contact data is in another table and not read.
    filed_days: what a deadline not yet recounted at acceptance counts (no reply_days yet).
    A satisfaction level belongs to the closing after which it was recorded."""
    return await conn.fetchrow(
        """
        SELECT c.id, c.reference, c.access_code_hash, c.status, c.classification,
               c.certificate_name, c.certificate_code,
               coalesce(d.name, c.department_other) AS department, c.matter, c.demanded_on,
               c.place, c.description, c.submitted_at, c.accept_due, c.reply_due,
               NOT EXISTS (SELECT FROM calendar_years y
                           WHERE y.year = extract(year FROM c.reply_due)::int)
                   AS deadline_provisional,
               c.deadline_reason, coalesce(c.reply_days, $2::int) AS deadline_days,
               coalesce(c.reply_from, (c.submitted_at AT TIME ZONE 'Asia/Shanghai')::date)
                   AS deadline_from,
               c.extension_reason, c.reopened, c.closed_at, c.result,
               CASE WHEN r.rated THEN c.satisfaction END AS satisfaction,
               CASE WHEN r.rated THEN c.satisfaction_by END AS satisfaction_by,
               c.status = 'closed' AND NOT r.rated AS may_rate,
               c.status = 'closed' AND NOT r.rated AND NOT c.reopened AS may_reopen
        FROM complaints c LEFT JOIN departments d ON d.code = c.department_code,
             LATERAL (SELECT c.status = 'closed' AND coalesce(c.followed_up_at > c.closed_at,
                                                             false) AS rated) r
        WHERE c.reference = $1
        """,
        reference,
        filed_days,
    )


async def public_timeline(conn: asyncpg.Connection, complaint_id: int) -> list[StoredEvent]:
    """Public events; who acted only as "complainant" or "staff", never a name."""
    rows = await conn.fetch(
        """
        SELECT at, kind, public, status_from, status_to, note, params,
               CASE WHEN actor = 'complainant' THEN 'complainant' ELSE 'staff' END AS by
        FROM complaint_events
        WHERE complaint_id = $1 AND public
        ORDER BY at, id
        """,
        complaint_id,
    )
    return many(StoredEvent, rows)


# ---- staff views -------------------------------------------------------------------------

STAFF_COLUMNS = """
    c.id, c.reference, c.status, c.classification, c.certificate_name, c.certificate_code,
    c.department_code, coalesce(d.name, c.department_other) AS department, c.matter,
    c.demanded_on, c.place, c.description, c.disclosure, c.submitted_at, c.accept_due,
    c.reply_due, NOT EXISTS (SELECT FROM calendar_years y
                WHERE y.year = extract(year FROM c.reply_due)::int) AS deadline_provisional,
    c.assigned_department, ad.name AS assigned_department_name, c.accepted_at,
    c.replied_at, c.closed_at, c.reject_reason, c.finding, c.action_taken, c.extended,
    c.extension_reason, c.reopened, c.satisfaction, c.followed_up_at, c.closed_on_time,
    c.version, c.deadline_reason, c.reply_from, c.reply_days, c.result, c.satisfaction_by
"""
STAFF_FROM = """
    FROM complaints c
    LEFT JOIN departments d ON d.code = c.department_code
    LEFT JOIN departments ad ON ad.code = c.assigned_department
"""


async def queue(
    conn: asyncpg.Connection,
    *,
    scope_department: str | None,
    status: str | None = None,
    department: str | None = None,
    classification: str | None = None,
    overdue_on: dt.date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[asyncpg.Record], int]:
    """The queue; scope_department limits a department's view to complaints routed to it."""
    rows = await conn.fetch(
        f"""
        SELECT {STAFF_COLUMNS}, count(*) OVER () AS total
        {STAFF_FROM}
        WHERE ($1::text IS NULL OR c.assigned_department = $1)
          AND ($2::text IS NULL OR c.status = $2)
          AND ($3::text IS NULL OR c.department_code = $3 OR c.assigned_department = $3)
          AND ($4::text IS NULL OR c.classification = $4)
          AND ($5::date IS NULL OR (c.status = ANY($8::text[]) AND c.accept_due < $5)
               OR (c.status = ANY($9::text[]) AND c.reply_due < $5))
        ORDER BY c.submitted_at DESC, c.id DESC
        LIMIT $6 OFFSET $7
        """,
        scope_department,
        status,
        department,
        classification,
        overdue_on,
        limit,
        offset,
        list(ACCEPT_RUNS),
        list(REPLY_RUNS),
    )
    return list(rows), (rows[0]["total"] if rows else 0)


async def status_counts(conn: asyncpg.Connection, scope_department: str | None) -> dict[str, int]:
    rows = await conn.fetch(
        """
        SELECT status, count(*) AS n FROM complaints
        WHERE ($1::text IS NULL OR assigned_department = $1)
        GROUP BY status
        """,
        scope_department,
    )
    return {r["status"]: r["n"] for r in rows}


async def get_for_staff(
    conn: asyncpg.Connection, complaint_id: int, scope_department: str | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""
        SELECT {STAFF_COLUMNS} {STAFF_FROM}
        WHERE c.id = $1 AND ($2::text IS NULL OR c.assigned_department = $2)
        """,
        complaint_id,
        scope_department,
    )


async def all_events(conn: asyncpg.Connection, complaint_id: int) -> list[StoredEvent]:
    """Every event, with who acted (the staff timeline)."""
    rows = await conn.fetch(
        """
        SELECT at, kind, public, actor, actor AS by, status_from, status_to, note, params
        FROM complaint_events WHERE complaint_id = $1 ORDER BY at, id
        """,
        complaint_id,
    )
    return many(StoredEvent, rows)


async def read_contact(conn: asyncpg.Connection, complaint_id: int) -> asyncpg.Record | None:
    """Only workflow notifications and the audited reveal call this."""
    return await conn.fetchrow(
        "SELECT name, phone, email FROM complaint_contacts WHERE complaint_id = $1", complaint_id
    )


async def calendar_overrides(conn: asyncpg.Connection) -> dict[dt.date, bool]:
    rows = await conn.fetch("SELECT day, workday FROM calendar_overrides")
    return {r["day"]: r["workday"] for r in rows}
