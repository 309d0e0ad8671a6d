"""Every worker hears a list change within a second (LISTEN/NOTIFY on a real commit)."""

from __future__ import annotations

import asyncio
import time

from registry.db import connect
from registry.listen import listen_for_changes


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
