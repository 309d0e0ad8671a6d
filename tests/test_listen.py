"""Every worker hears a list change within a second (LISTEN/NOTIFY on a real commit)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from registry.infra import listen
from registry.infra.db import connect


def listen_for_changes(dsn: str, on_change: Callable[[], Any]) -> Coroutine[Any, Any, NoReturn]:
    """The listener with one callback for every channel and for each (re)connect."""
    return listen.listen_for_changes(dsn, {c: on_change for c in listen.CHANNELS}, on_change)


async def test_a_committed_change_reaches_the_listener_within_a_second(seeded):
    heard: list[float] = []
    task = asyncio.create_task(listen_for_changes(seeded, lambda: heard.append(time.monotonic())))
    try:
        for _ in range(50):  # the listener reports once on connect
            if heard:
                break
            await asyncio.sleep(0.02)
        assert heard, "listener did not connect"
        heard.clear()
        conn = await connect(seeded)
        try:
            sent = time.monotonic()
            # A statement-level trigger fires even when no row changes: nothing is altered.
            await conn.execute("UPDATE certificate_versions SET note = note WHERE false")
        finally:
            await conn.close()
        for _ in range(100):
            if heard:
                break
            await asyncio.sleep(0.01)
        assert heard and heard[0] - sent < 1.0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_listener_reconnects_and_assumes_a_change(seeded):
    heard: list[int] = []
    task = asyncio.create_task(listen_for_changes(seeded, lambda: heard.append(1)))
    try:
        for _ in range(50):
            if heard:
                break
            await asyncio.sleep(0.02)
        admin = await connect(seeded)
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
            " AND datname = current_database()"
        )
        await admin.close()
        for _ in range(300):
            if len(heard) >= 2:
                break
            await asyncio.sleep(0.02)
        assert len(heard) >= 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _until(condition, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Poll: the callbacks under test are plain functions, not events we could await."""
    async with asyncio.timeout(seconds):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


async def test_a_terminated_listener_is_logged_and_every_worker_hears_the_next_change(
    seeded, caplog
):
    # Two workers, each with its own listener connection.
    heard: list[list[float]] = [[], []]
    workers = [
        asyncio.create_task(listen_for_changes(seeded, lambda n=n: heard[n].append(time.time())))
        for n in range(2)
    ]
    admin = await connect(seeded)
    try:
        await _until(lambda: all(heard), 5)
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'registry-listener' AND datname = current_database()"
        )
        assert killed == 2
        at = time.time()
        await _until(lambda: all(len(h) >= 2 for h in heard), 5)  # back, and assuming a change
        assert max(h[1] for h in heard) - at < 3
        assert caplog.text.count("list listener failed (ListenerLost") == 2
        sent = time.time()
        await admin.execute("UPDATE certificate_versions SET note = note WHERE false")
        await _until(lambda: all(len(h) >= 3 for h in heard), 2)
        assert max(h[2] for h in heard) - sent < 1
    finally:
        await admin.close()
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def test_a_hung_heartbeat_is_cut_off_and_the_listener_reconnects(seeded, caplog, monkeypatch):
    import asyncpg

    monkeypatch.setattr(listen, "HEARTBEAT", 0.1, raising=False)
    monkeypatch.setattr(listen, "TIMEOUT", 0.5, raising=False)
    real_execute = asyncpg.connection.Connection.execute
    hung: list[asyncpg.Connection] = []

    async def execute(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        if query == "SELECT 1" and not hung:  # the first ping never gets an answer
            hung.append(self)
            await asyncio.sleep(3600)
        return await real_execute(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "execute", execute)
    heard: list[float] = []
    task = asyncio.create_task(listen_for_changes(seeded, lambda: heard.append(time.time())))
    admin = await connect(seeded)
    try:
        await _until(lambda: hung, 8)
        await _until(lambda: len(heard) >= 2, 5)  # given up on, reconnected
        assert hung[0].is_closed()
        assert "list listener failed (TimeoutError" in caplog.text
        await admin.execute("UPDATE certificate_versions SET note = note WHERE false")
        await _until(lambda: len(heard) >= 3, 2)
    finally:
        await admin.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
