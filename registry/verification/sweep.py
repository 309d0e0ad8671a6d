"""The housekeeping step for 协查: open requests past their deadline become 超期, one at a time
through the workflow (event, audit row, notices to both departments and the office)."""

from __future__ import annotations

import asyncpg

from registry.infra import clock
from registry.verification import workflow as flow
from registry.verification.queries import requests as q
from registry.workflow import engine

BATCH = 500
SWEEPER = engine.Actor(flow.SYSTEM, flow.SYSTEM)


async def mark_overdue(conn: asyncpg.Connection) -> int:
    """How many requests this pass marked; one another worker moved first is skipped."""
    marked = 0
    for row in await q.past_due(conn, clock.now(), BATCH):
        try:
            await engine.apply(
                conn, flow.Verifications(), row["id"], "expire", SWEEPER,
                expected=row["status"], form={},
            )  # fmt: skip
        except engine.Stale:
            continue
        marked += 1
    return marked
