"""The writer of the audit log (the filing statement, queries.complaints.FILE_SQL, writes its
own row in the same statement)."""

from __future__ import annotations

from typing import Any

import asyncpg


async def record(
    conn: asyncpg.Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> None:
    await conn.execute(
        """
        INSERT INTO audit_log (actor, action, entity, entity_id, before, after, reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        actor,
        action,
        entity,
        entity_id,
        before,
        after,
        reason,
    )
