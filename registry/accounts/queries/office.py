"""SQL for the office pages: audit log reads, account state, calendar overrides."""

from __future__ import annotations

import datetime as dt

import asyncpg


async def audit_entries(
    conn: asyncpg.Connection, *, action: str | None, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    rows = await conn.fetch(
        """
        SELECT id, at, actor, action, entity, entity_id, before, after, reason,
               count(*) OVER () AS total
        FROM audit_log
        WHERE ($1::text IS NULL OR action = $1)
        ORDER BY id DESC
        LIMIT $2 OFFSET $3
        """,
        action,
        limit,
        offset,
    )
    return list(rows), (rows[0]["total"] if rows else 0)


async def audit_actions(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("SELECT DISTINCT action FROM audit_log ORDER BY action")
    return [r["action"] for r in rows]


async def users_with_state(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """
            SELECT u.id, u.username, u.display_name, u.role, d.name AS department, u.active,
                   u.failed_logins, u.locked_until > now() AS locked,
                   (SELECT max(last_seen) FROM sessions s WHERE s.user_id = u.id) AS last_seen
            FROM users u LEFT JOIN departments d ON d.code = u.department_code
            ORDER BY u.username
            """
        )
    )


async def change_user(conn: asyncpg.Connection, user_id: int, change: str) -> str | None:
    """Apply one account change; the username, or None if there is no such account."""
    name: str | None = await conn.fetchval(
        """
        UPDATE users SET
            active = CASE $2 WHEN 'deactivate' THEN false WHEN 'activate' THEN true
                     ELSE active END,
            failed_logins = CASE WHEN $2 = 'unlock' THEN 0 ELSE failed_logins END,
            locked_until = CASE WHEN $2 = 'unlock' THEN NULL ELSE locked_until END
        WHERE id = $1
        RETURNING username
        """,
        user_id,
        change,
    )
    return name


async def end_sessions_of(conn: asyncpg.Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM sessions WHERE user_id = $1", user_id)


async def calendar(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(
        await conn.fetch("SELECT day, workday, note FROM calendar_overrides ORDER BY day DESC")
    )


async def set_override(
    conn: asyncpg.Connection, day: dt.date, workday: bool | None, note: str
) -> dict[str, object] | None:
    """Set (or with workday None, remove) an override; returns what was there before."""
    before = await conn.fetchrow(
        "SELECT workday, note FROM calendar_overrides WHERE day = $1 FOR UPDATE", day
    )
    if workday is None:
        await conn.execute("DELETE FROM calendar_overrides WHERE day = $1", day)
    else:
        await conn.execute(
            """
            INSERT INTO calendar_overrides (day, workday, note) VALUES ($1, $2, $3)
            ON CONFLICT (day) DO UPDATE SET workday = EXCLUDED.workday, note = EXCLUDED.note
            """,
            day,
            workday,
            note,
        )
    return dict(before) if before else None
