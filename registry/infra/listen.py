"""LISTEN for changes so every worker drops the caches that depend on them within a second.

A channel per concern (migration 0016), all on one connection: each NOTIFY calls its own
handler, so a department or calendar edit leaves the checker's indexes alone. After every
(re)connect on_connect is called: a NOTIFY may have been missed while we were away."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import NoReturn

import asyncpg

from registry.infra import tasks

log = logging.getLogger("registry")
LIST = "registry_list_changed"  # certificates and versions, thesaurus terms, licences
DEPARTMENTS = "registry_departments_changed"
CALENDAR = "registry_calendar_changed"  # calendar corrections and settled years
RECORD = "registry_record_changed"  # whether the list in force is the official one
CHANNELS = (LIST, DEPARTMENTS, CALENDAR, RECORD)
CHANNEL = LIST  # the name from when it was the only channel
Handlers = Mapping[str, Callable[[], None]]
# Set on the listener's connection, so an operator (or a test) can find it in pg_stat_activity.
APPLICATION_NAME = "registry-listener"
HEARTBEAT = 5.0  # seconds between pings: a dead peer is noticed only when we talk to it
TIMEOUT = 5.0  # for connecting, LISTEN and each ping: a peer that never answers is dead too


class ListenerLost(ConnectionError):
    """The server closed the listener's connection (restart, pg_terminate_backend, network)."""


async def listen_once(dsn: str, handlers: Handlers, on_connect: Callable[[], None]) -> NoReturn:
    """One connection's life: LISTEN on every channel handled, call on_connect at once (a
    change may have been missed while we were away), then ping every HEARTBEAT seconds. Raises
    when the connection is lost or a ping goes unanswered for TIMEOUT seconds;
    listen_for_changes() starts it again."""
    conn = await asyncpg.connect(
        dsn, timeout=TIMEOUT, server_settings={"application_name": APPLICATION_NAME}
    )
    try:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _c: lost.set())
        async with asyncio.timeout(TIMEOUT):
            for channel in handlers:
                await conn.add_listener(channel, _call(handlers[channel]))
        on_connect()
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


def _call(handler: Callable[[], None]) -> Callable[..., None]:
    """asyncpg passes (connection, pid, channel, payload): the handler needs none of them."""
    return lambda *_args: handler()


async def listen_for_changes(
    dsn: str, handlers: Handlers, on_connect: Callable[[], None]
) -> NoReturn:
    """Run until cancelled: every loss is logged and the listener reconnects with back-off
    (0.5 s first, at most 10 s while the database stays away)."""
    await tasks.supervise(
        "list listener",
        lambda: listen_once(dsn, handlers, on_connect),
        first_delay=0.5,
        max_delay=10.0,
        healthy_after=2 * HEARTBEAT,
    )
