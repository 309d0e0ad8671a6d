"""Fixed-window rate limits kept in PostgreSQL, so every worker and machine shares them."""

from __future__ import annotations

import datetime as dt

import asyncpg

from registry.infra import clock
from registry.infra.queries.ratelimits import HIT

# Windows this old can no longer count against anyone (housekeeping deletes them).
KEEP_SECONDS = 86400


def retry_after(window_start: dt.datetime, window: int) -> int:
    """Seconds until the window that refused a hit ends (at least 1)."""
    ends = window_start + dt.timedelta(seconds=window)
    return max(1, int((ends - clock.utc_now()).total_seconds()))


async def hit(conn: asyncpg.Connection, bucket: str, limit: int, window: int) -> int | None:
    """Count one hit; None if allowed, else the seconds until the window ends."""
    row = await conn.fetchrow(
        HIT.format(bucket="$1", window="$2::int", when="true"), bucket, window
    )
    assert row is not None
    return None if row["hits"] <= limit else retry_after(row["window_start"], window)


async def purge(conn: asyncpg.Connection, older_than: int = KEEP_SECONDS, batch: int = 5000) -> int:
    """Delete windows that started more than older_than seconds ago, a batch per statement
    (SKIP LOCKED: workers sweeping at once share the work). Returns how many went."""
    total = 0
    while True:
        status = await conn.execute(
            """
            DELETE FROM rate_limits WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM rate_limits
                WHERE window_start < now() - make_interval(secs => $1)
                LIMIT $2 FOR UPDATE SKIP LOCKED))
            """,
            older_than,
            batch,
        )
        deleted = int(status.split()[-1])
        total += deleted
        if deleted < batch:
            return total
