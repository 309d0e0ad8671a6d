"""SQL for one workflow step on a complaint: the compare-and-set that moves it on."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

# The step's moments use clock_timestamp(), not now(): two steps in one transaction (a close and
# the follow-up that answers it) must still come one after the other. A new deadline brings its
# whole basis (reason, start, days, extension reason), so a reopen leaves no old extension.
CAS_SQL = """
UPDATE complaints SET
    status = $3,
    assigned_department = coalesce($5::text, assigned_department),
    accepted_at = CASE WHEN $6 THEN clock_timestamp() ELSE accepted_at END,
    replied_at = CASE WHEN $7 THEN clock_timestamp() ELSE replied_at END,
    closed_at = CASE WHEN $8 THEN clock_timestamp() ELSE closed_at END,
    reply_due = coalesce($9::date, reply_due),
    deadline_reason = coalesce($10::text, deadline_reason),
    reply_from = CASE WHEN $10::text IS NULL THEN reply_from ELSE $11::date END,
    reply_days = CASE WHEN $10::text IS NULL THEN reply_days ELSE $12::smallint END,
    extension_reason = CASE WHEN $10::text IS NULL THEN extension_reason
                            ELSE coalesce($13::text, '') END,
    reject_reason = coalesce($14::text, reject_reason),
    finding = coalesce($15::text, finding),
    action_taken = coalesce($16::text, action_taken),
    result = coalesce($17::text, result),
    reopened = reopened OR $18,
    satisfaction = coalesce($19::text, satisfaction),
    satisfaction_by = coalesce($20::text, satisfaction_by),
    followed_up_at = CASE WHEN $19::text IS NULL THEN followed_up_at ELSE clock_timestamp() END,
    closed_on_time = coalesce($21::boolean, closed_on_time),
    version = version + 1
WHERE id = $1 AND status = $2 AND ($4::text IS NULL OR assigned_department = $4)
  AND version = $22
RETURNING id, reference, status, reply_due
"""


class Changes(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """What a step changes besides the status; a field left out stays as it is. A misspelt
    field is a TypeError (and a type error for mypy), never silently ignored."""

    assigned_department: str | None = None
    accepted: bool = False  # stamps accepted_at
    replied: bool = False  # stamps replied_at
    closed: bool = False  # stamps closed_at
    # A new reply deadline and its whole basis (all four, or none).
    reply_due: dt.date | None = None
    deadline_reason: str | None = None
    reply_from: dt.date | None = None
    reply_days: int | None = None
    extension_reason: str | None = None
    reject_reason: str | None = None
    finding: str | None = None
    action_taken: str | None = None
    result: str | None = None
    reopened: bool = False
    satisfaction: str | None = None  # stamps followed_up_at
    satisfaction_by: str | None = None
    closed_on_time: bool | None = None

    def for_audit(self) -> dict[str, object]:
        """The fields this step sets, dates as text (the audit row's "after")."""
        return {
            f.name: (v.isoformat() if isinstance(v, dt.date) else v)
            for f in msgspec.structs.fields(self)
            if (v := getattr(self, f.name)) != f.default
        }


async def compare_and_set(
    conn: asyncpg.Connection,
    complaint_id: int,
    *,
    expected: str,
    version: int,
    new_status: str,
    scope_department: str | None,
    changes: Changes,
) -> asyncpg.Record | None:
    """Move a complaint on only if it is still where the actor saw it (status and version: a
    step that keeps the status still moves the version); None if it moved first."""
    c = changes
    return await conn.fetchrow(
        CAS_SQL,
        complaint_id,
        expected,
        new_status,
        scope_department,
        c.assigned_department,
        c.accepted,
        c.replied,
        c.closed,
        c.reply_due,
        c.deadline_reason,
        c.reply_from,
        c.reply_days,
        c.extension_reason,
        c.reject_reason,
        c.finding,
        c.action_taken,
        c.result,
        c.reopened,
        c.satisfaction,
        c.satisfaction_by,
        c.closed_on_time,
        version,
    )
