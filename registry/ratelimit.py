"""Fixed-window rate limits kept in PostgreSQL, so every worker and machine shares them."""

from __future__ import annotations

import datetime as dt

import asyncpg


async def hit(conn: asyncpg.Connection, bucket: str, limit: int, window: int) -> int | None:
    """Count one hit; None if allowed, else the seconds until the window ends."""
    row = await conn.fetchrow(
        """
        INSERT INTO rate_limits (bucket, window_start, hits)
        VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
        ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
        RETURNING hits, window_start
        """,
        bucket,
        window,
    )
    assert row is not None
    if row["hits"] <= limit:
        return None
    ends = row["window_start"] + dt.timedelta(seconds=window)
    return max(1, int((ends - dt.datetime.now(dt.UTC)).total_seconds()))


async def purge(conn: asyncpg.Connection, older_than: int = 86400) -> None:
    await conn.execute(
        "DELETE FROM rate_limits WHERE window_start < now() - make_interval(secs => $1)",
        older_than,
    )
