"""Independent, committing connections to a throwaway migrated and seeded database.

The usual `conn` fixture is ONE connection inside a transaction that is rolled back, so it can
never show what two sessions do to each other: compare-and-set races, `FOR UPDATE SKIP LOCKED`
claims, advisory locks. The `committed_db` fixture gives a database of the test's own instead:

- made by tests/conftest.py's `scratch_database` (`registry_twoconn_<pid>`, owned by the tests'
  role; dropped after the test, and by a later session if this one died), migrated with
  `registry.infra.migrate.apply` and seeded with `registry.cli.load_seed`, like the test database;
- `await committed_db.connect(n)`: n new connections (registry.infra.db.connect: json codecs set) as
  the tests' role, in autocommit like the app's pooled connections: each statement commits
  unless the test opens `async with conn.transaction():`. All are closed after the test;
- `await committed_db.pool(size)`: an asyncpg pool over it, to run the app for real
  (`create_app(settings, pool=...)`), so concurrent requests use different connections;
- `await committed_db.wait_for_lock_waiters(n)`: returns once n backends of this database wait
  on a lock (a row lock, an advisory lock), so a test can line both contenders up behind a
  lock it holds and only then let them go: the interleaving is forced, not left to luck;
- `committed_db.dsn`: to connect some other way (a subprocess, another role).

Nothing is rolled back, so append-only tables (audit_log, complaint_events) fill as in
production; the database is dropped at the end, which is the clean-up. Each test that asks for
the fixture pays for migrating and seeding (about a second).

Use it by importing the fixture into the test module:

    from tests.twoconn import committed_db_fixture  # noqa: F401  (registers `committed_db`)

    async def test_two_sessions(committed_db):
        a, b = await committed_db.connect(2)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import asyncpg
import pytest

from registry.cli import load_seed
from registry.infra import migrate
from registry.infra.db import connect, create_pool
from registry.infra.settings import Settings


class CommittedDatabase:
    """A throwaway database and the connections and pools opened on it (closed at the end)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conns: list[asyncpg.Connection] = []
        self._pools: list[asyncpg.Pool] = []

    async def connect(self, n: int = 2) -> list[asyncpg.Connection]:
        conns = [await connect(self.dsn) for _ in range(n)]
        self._conns.extend(conns)
        return conns

    async def pool(self, size: int = 4) -> asyncpg.Pool:
        pool = await create_pool(self.dsn, min_size=1, max_size=size)
        self._pools.append(pool)
        return pool

    async def wait_for_lock_waiters(self, n: int, patience: float = 10.0) -> list[int]:
        """The pids of n backends of this database found waiting on a lock (TimeoutError after
        `patience` seconds)."""
        (watcher,) = await self.connect(1)
        async with asyncio.timeout(patience):
            while True:
                pids = await watcher.fetch(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if len(pids) >= n:
                    return [r["pid"] for r in pids]
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        for pool in self._pools:
            await pool.close()
        for conn in self._conns:
            if not conn.is_closed():
                await conn.close()


@pytest.fixture(name="committed_db")
async def committed_db_fixture(
    scratch_database: Callable[[str], AbstractAsyncContextManager[str]], settings: Settings
) -> AsyncIterator[CommittedDatabase]:
    """A migrated, seeded database for this test alone; see the module's docstring."""
    async with scratch_database("twoconn") as dsn:
        setup = await connect(dsn)
        try:
            await migrate.check_database(setup)
            await migrate.apply(setup, settings.migrations_dir)
            await load_seed(setup, settings.seed_dir)
        finally:
            await setup.close()
        db = CommittedDatabase(dsn)
        try:
            yield db
        finally:
            await db.close()
