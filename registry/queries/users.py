"""SQL for staff accounts and their server-side sessions."""

from __future__ import annotations

import asyncpg

from registry.db import many, one
from registry.models import StaffUser

USER_COLUMNS = "u.id, u.username, u.display_name, u.role, u.department_code, u.active"


async def insert_user(
    conn: asyncpg.Connection,
    *,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    department_code: str | None,
) -> int:
    uid: int = await conn.fetchval(
        """
        INSERT INTO users (username, display_name, password_hash, role, department_code)
        VALUES ($1, $2, $3, $4, $5)
        RETURNING id
        """,
        username,
        display_name,
        password_hash,
        role,
        department_code,
    )
    return uid


async def get_login(conn: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT id, password_hash, active, failed_logins, locked_until,
               locked_until > now() AS locked
        FROM users WHERE username = $1
        """,
        username,
    )


async def record_failure(conn: asyncpg.Connection, user_id: int, lock_seconds: int) -> None:
    """Count a failed login; lock for lock_seconds once the count reaches the limit."""
    await conn.execute(
        """
        UPDATE users SET failed_logins = failed_logins + 1,
            locked_until = CASE WHEN $2 > 0 THEN now() + make_interval(secs => $2)
                                ELSE locked_until END
        WHERE id = $1
        """,
        user_id,
        lock_seconds,
    )


async def record_success(conn: asyncpg.Connection, user_id: int) -> None:
    await conn.execute(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1", user_id
    )


async def set_password(conn: asyncpg.Connection, user_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def list_users(conn: asyncpg.Connection) -> list[StaffUser]:
    rows = await conn.fetch(f"SELECT {USER_COLUMNS} FROM users u ORDER BY u.username")
    return many(StaffUser, rows)


async def insert_session(conn: asyncpg.Connection, session_hash: str, user_id: int) -> None:
    await conn.execute("INSERT INTO sessions (id, user_id) VALUES ($1, $2)", session_hash, user_id)


async def delete_session(conn: asyncpg.Connection, session_hash: str) -> None:
    await conn.execute("DELETE FROM sessions WHERE id = $1", session_hash)


async def session_user(
    conn: asyncpg.Connection, session_hash: str, idle: int, absolute: int
) -> StaffUser | None:
    """The user of a live session, touching it; expired sessions are deleted on sight."""
    row = await conn.fetchrow(
        f"""
        WITH live AS (
            UPDATE sessions SET last_seen = now()
            WHERE id = $1
              AND last_seen > now() - make_interval(secs => $2)
              AND created_at > now() - make_interval(secs => $3)
            RETURNING user_id
        )
        SELECT {USER_COLUMNS} FROM live JOIN users u ON u.id = live.user_id WHERE u.active
        """,
        session_hash,
        idle,
        absolute,
    )
    if row is None:
        await delete_session(conn, session_hash)
    return one(StaffUser, row)
