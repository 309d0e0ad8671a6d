"""Fixed-window rate limits kept in PostgreSQL, so every worker and machine shares them."""

from __future__ import annotations

import datetime as dt

import asyncpg

from registry import clock

# Count one hit in the current fixed window of `window` seconds when `when` holds; returns
# hits, window_start (no row when `when` is false). Also used as a CTE by the filing statement
# (queries/complaints.py), which counts nothing for a replay or a redraw.
HIT = """
    INSERT INTO rate_limits (bucket, window_start, hits)
    SELECT {bucket}, to_timestamp(floor(extract(epoch FROM now()) / {window}) * {window}), 1
    WHERE {when}
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
    RETURNING hits, window_start
"""
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
