"""SQL for staff accounts and their server-side sessions."""

from __future__ import annotations

import asyncpg

from registry.accounts.models import StaffUser
from registry.infra.db import many, one

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
    """The account to check a password against; `locked` is an admin's explicit lock."""
    return await conn.fetchrow(
        """
        SELECT id, password_hash, active, coalesce(locked_until > now(), false) AS locked
        FROM users WHERE username = $1
        """,
        username,
    )


async def lock_pair(
    conn: asyncpg.Connection, username: str, address: str, reset_after: int, known_days: int
) -> asyncpg.Record:
    """The (name, address) back-off row, created if new and locked until the transaction ends,
    so concurrent attempts from one address are counted one after another."""
    row = await conn.fetchrow(
        """
        INSERT INTO login_throttle AS t (username, address) VALUES ($1, $2)
        ON CONFLICT (username, address) DO UPDATE SET username = t.username
        RETURNING failures,
            coalesce(last_failed_at < now() - make_interval(secs => $3), true) AS stale,
            CASE WHEN delayed_until > now()
                 THEN greatest(1, ceil(extract(epoch FROM delayed_until - now())))::int
                 ELSE 0 END AS wait,
            coalesce(last_success_at > now() - make_interval(days => $4), false) AS known
        """,
        username,
        address,
        reset_after,
        known_days,
    )
    assert row is not None
    return row


async def count_attempt(
    conn: asyncpg.Connection, username: str, address: str, failures: int, delay: int
) -> None:
    """Count an attempt as failed before the password is checked (a success undoes it)."""
    await conn.execute(
        """
        UPDATE login_throttle SET failures = $3, last_failed_at = now(),
            delayed_until = CASE WHEN $4 > 0 THEN now() + make_interval(secs => $4) END
        WHERE username = $1 AND address = $2
        """,
        username,
        address,
        failures,
        delay,
    )


async def claim_account_slot(
    conn: asyncpg.Connection, username: str, window: int, limit: int, spacing: int
) -> int:
    """0 when the name may be tried now (not under attack, or the next slot is free and now
    taken); else the seconds until the next slot."""
    taken = await conn.fetchval(
        """
        UPDATE login_account_throttle SET next_slot = now() + make_interval(secs => $4)
        WHERE username = $1 AND next_slot <= now()
          AND window_start > now() - make_interval(secs => $2) AND failures >= $3
        RETURNING true
        """,
        username,
        window,
        limit,
        spacing,
    )
    if taken:
        return 0
    wait: int | None = await conn.fetchval(
        """
        SELECT greatest(1, ceil(extract(epoch FROM next_slot - now())))::int
        FROM login_account_throttle
        WHERE username = $1
          AND window_start > now() - make_interval(secs => $2) AND failures >= $3
        """,
        username,
        window,
        limit,
    )
    return wait or 0


async def record_failure(conn: asyncpg.Connection, username: str, window: int) -> int:
    """A failed password for this name (known or not, the same statements): the account's
    failures in the current window."""
    await conn.execute(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE username = $1", username
    )
    failures: int = await conn.fetchval(
        """
        INSERT INTO login_account_throttle AS a (username, window_start, failures)
        VALUES ($1, now(), 1)
        ON CONFLICT (username) DO UPDATE SET
            failures = CASE WHEN a.window_start > now() - make_interval(secs => $2)
                            THEN a.failures + 1 ELSE 1 END,
            window_start = CASE WHEN a.window_start > now() - make_interval(secs => $2)
                                THEN a.window_start ELSE now() END
        RETURNING failures
        """,
        username,
        window,
    )
    return failures


async def record_success(
    conn: asyncpg.Connection, user_id: int, username: str, address: str
) -> None:
    """Clear this address's back-off and remember it as known; other addresses keep theirs.
    (Never names users.locked_until: that would fire the admin unlock trigger.)"""
    await conn.execute("UPDATE users SET failed_logins = 0 WHERE id = $1", user_id)
    await conn.execute(
        """
        UPDATE login_throttle SET failures = 0, delayed_until = NULL, last_success_at = now()
        WHERE username = $1 AND address = $2
        """,
        username,
        address,
    )


async def purge_login_throttle(conn: asyncpg.Connection, keep_known_days: int = 90) -> None:
    """Housekeeping: forget idle back-off rows (a day after their last failure and delay) and
    known addresses not used for keep_known_days."""
    await conn.execute(
        """
        DELETE FROM login_throttle
        WHERE coalesce(last_failed_at, '-infinity') < now() - interval '1 day'
          AND coalesce(delayed_until, '-infinity') < now()
          AND coalesce(last_success_at, '-infinity') < now() - make_interval(days => $1)
        """,
        keep_known_days,
    )
    await conn.execute(
        """
        DELETE FROM login_account_throttle
        WHERE window_start < now() - interval '1 day' AND next_slot < now()
        """
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
