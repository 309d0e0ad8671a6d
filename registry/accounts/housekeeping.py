"""Periodic housekeeping: delete what nothing reads again (rate-limit windows long over, idle
login back-off rows, staff sessions past their lifetime, sent mail older than the configured
days). Every worker runs it; the deletes go in batches with SKIP LOCKED, so workers sweeping at
once share the work and no statement runs long."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple

import asyncpg

from registry.accounts import auth
from registry.accounts.queries import users
from registry.infra import clock, ratelimit
from registry.infra.settings import Settings

log = logging.getLogger("registry")
BATCH = 5000
ROUND_LIMIT = 300.0  # seconds for one sweep; longer is a hung database (the supervisor retries)

# A session is expired when auth's lookup would refuse it: idle too long or too old.
EXPIRED_SESSIONS = """
    DELETE FROM sessions WHERE id = ANY(ARRAY(
        SELECT id FROM sessions
        WHERE last_seen <= now() - make_interval(secs => $1)
           OR created_at <= now() - make_interval(secs => $2)
        LIMIT $3 FOR UPDATE SKIP LOCKED))
"""
SENT_MAIL = """
    DELETE FROM outbox WHERE id = ANY(ARRAY(
        SELECT id FROM outbox WHERE sent_at < now() - make_interval(days => $1)
        LIMIT $2 FOR UPDATE SKIP LOCKED))
"""

# Signed commitments past the retention: the signer's personal fields go, the commitment stays
# (its statistics). Plain SQL here: housekeeping sits below the commitments feature.
ERASE_SIGNERS = """
    WITH old AS (
        SELECT id FROM commitments WHERE erased_at IS NULL AND signed_at < $1
        ORDER BY signed_at LIMIT $2 FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM commitment_signers WHERE commitment_id IN (SELECT id FROM old)
    )
    UPDATE commitments SET erased_at = now() WHERE id IN (SELECT id FROM old)
"""


# A feature's own periodic step (features sit above this layer, so the app hands them in):
# e.g. verification.sweep.mark_overdue, which marks 协查 requests past their deadline.
Step = Callable[[asyncpg.Connection], Awaitable[int]]


class Swept(NamedTuple):
    rate_limits: int
    sessions: int
    outbox: int
    commitment_signers: int = 0


async def _batches(conn: asyncpg.Connection, sql: str, *args: object) -> int:
    total = 0
    while True:
        deleted = int((await conn.execute(sql, *args, BATCH)).split()[-1])
        total += deleted
        if deleted < BATCH:
            return total


async def sweep(conn: asyncpg.Connection, settings: Settings) -> Swept:
    """One pass over the tables; returns how many rows each lost (or, for signers, erased)."""
    # Keep every window a configured limit could still be counting in.
    windows = max(ratelimit.KEEP_SECONDS, settings.filing_limit[1], settings.tracking_limit[1])
    await users.purge_login_throttle(conn)  # idle login back-off rows (their count is not kept)
    return Swept(
        rate_limits=await ratelimit.purge(conn, windows, BATCH),
        sessions=await _batches(conn, EXPIRED_SESSIONS, auth.IDLE_SECONDS, auth.ABSOLUTE_SECONDS),
        outbox=await _batches(conn, SENT_MAIL, settings.outbox_keep_days),
        commitment_signers=await _batches(
            conn,
            ERASE_SIGNERS,
            clock.now() - dt.timedelta(days=settings.commitment_retention_days),
        ),
    )


async def sweep_pool(pool: Any, settings: Settings, steps: Sequence[Step] = ()) -> Swept:
    """The periodic round (see app.lifespan): one sweep on a pooled connection, then the
    features' steps, logged."""
    async with pool.acquire() as conn:
        swept = await sweep(conn, settings)
        for step in steps:
            if done := await step(conn):
                log.info("housekeeping %s: %d", getattr(step, "__name__", step), done)
    if any(swept):
        log.info("housekeeping deleted %s", swept._asdict())
    return swept
