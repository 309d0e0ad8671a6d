"""LISTEN for list changes so every worker drops its caches within a second."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import NoReturn

import asyncpg

from registry import tasks

log = logging.getLogger("registry")
CHANNEL = "registry_list_changed"
# Set on the listener's connection, so an operator (or a test) can find it in pg_stat_activity.
APPLICATION_NAME = "registry-listener"
HEARTBEAT = 5.0  # seconds between pings: a dead peer is noticed only when we talk to it
TIMEOUT = 5.0  # for connecting, LISTEN and each ping: a peer that never answers is dead too


class ListenerLost(ConnectionError):
    """The server closed the listener's connection (restart, pg_terminate_backend, network)."""


async def listen_once(dsn: str, on_change: Callable[[], None]) -> NoReturn:
    """One connection's life: LISTEN, report a change at once (one may have been missed while
    we were away), then ping every HEARTBEAT seconds. Raises when the connection is lost or a
    ping goes unanswered for TIMEOUT seconds; listen_for_changes() starts it again."""
    conn = await asyncpg.connect(
        dsn, timeout=TIMEOUT, server_settings={"application_name": APPLICATION_NAME}
    )
    try:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _c: lost.set())
        async with asyncio.timeout(TIMEOUT):
            await conn.add_listener(CHANNEL, lambda *_args: on_change())
        on_change()
        while True:
            try:
                await asyncio.wait_for(lost.wait(), timeout=HEARTBEAT)
            except TimeoutError:
                pass
            else:
                raise ListenerLost("the server closed the connection")
            async with asyncio.timeout(TIMEOUT):
                await conn.execute("SELECT 1")
    finally:
        conn.terminate()


async def listen_for_changes(dsn: str, on_change: Callable[[], None]) -> NoReturn:
    """Run until cancelled: every loss is logged and the listener reconnects with back-off
    (0.5 s first, at most 10 s while the database stays away)."""
    await tasks.supervise(
        "list listener",
        lambda: listen_once(dsn, on_change),
        first_delay=0.5,
        max_delay=10.0,
        healthy_after=2 * HEARTBEAT,
    )
