"""SQL for departments' API tokens (only their sha256 is stored)."""

from __future__ import annotations

import asyncpg

from registry.accounts.models import DepartmentToken, TokenRow
from registry.infra.db import many, one

# A token's last use is written at most this often: not a write on every API request.
TOUCH_SECONDS = 60


async def insert_token(
    conn: asyncpg.Connection, *, department: str, label: str, token_hash: str, created_by: str
) -> int:
    token_id: int = await conn.fetchval(
        """
        INSERT INTO department_tokens (department, label, token_hash, created_by)
        VALUES ($1, $2, $3, $4)
        RETURNING id
        """,
        department,
        label,
        token_hash,
        created_by,
    )
    return token_id


async def revoke(conn: asyncpg.Connection, token_id: int) -> DepartmentToken | None:
    """Revoke an active token; None when there is none (unknown or already revoked)."""
    row = await conn.fetchrow(
        """
        UPDATE department_tokens SET revoked_at = now()
        WHERE id = $1 AND revoked_at IS NULL
        RETURNING id, department, label
        """,
        token_id,
    )
    return one(DepartmentToken, row)


async def active_by_hash(conn: asyncpg.Connection, token_hash: str) -> DepartmentToken | None:
    """The active token with this hash, its last use noted (at most once a minute)."""
    row = await conn.fetchrow(
        """
        WITH found AS (
            SELECT id, department, label, last_used_at FROM department_tokens
            WHERE token_hash = $1 AND revoked_at IS NULL
        ), touched AS (
            UPDATE department_tokens t SET last_used_at = now()
            FROM found
            WHERE t.id = found.id
              AND (found.last_used_at IS NULL
                   OR found.last_used_at < now() - make_interval(secs => $2))
        )
        SELECT id, department, label FROM found
        """,
        token_hash,
        TOUCH_SECONDS,
    )
    return one(DepartmentToken, row)


async def listing(conn: asyncpg.Connection) -> list[TokenRow]:
    """Every token, newest first per department (never the hash)."""
    rows = await conn.fetch(
        """
        SELECT t.id, t.department, d.name AS department_name, t.label, t.created_by,
               t.created_at, t.revoked_at, t.last_used_at
        FROM department_tokens t JOIN departments d ON d.code = t.department
        ORDER BY t.revoked_at IS NOT NULL, d.code, t.created_at DESC, t.id DESC
        """
    )
    return many(TokenRow, rows)
