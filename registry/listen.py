"""LISTEN for list changes so every worker drops its caches within a second."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

log = logging.getLogger("registry")
CHANNEL = "registry_list_changed"


async def listen_for_changes(dsn: str, on_change: Callable[[], None]) -> None:
    """Run until cancelled; after a reconnect assume something changed while we were away."""
    delay = 0.5
    while True:
        try:
            conn = await asyncpg.connect(dsn)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("list listener cannot connect (%s); retrying", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
            continue
        delay = 0.5
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _c, lost=lost: lost.set())
        try:
            await conn.add_listener(CHANNEL, lambda *_args: on_change())
            on_change()
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), timeout=5)
                except TimeoutError:
                    # A dead peer is noticed only when we talk to it.
                    await conn.execute("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("list listener lost its connection (%s); reconnecting", exc)
        finally:
            if not conn.is_closed():
                conn.terminate()
