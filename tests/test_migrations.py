"""The one migration runner: empty database, second run, edited and broken files."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from registry.infra import migrate
from registry.infra.db import connect

PID = os.getpid()


@pytest.fixture
async def empty_db(scratch_database) -> AsyncIterator[asyncpg.Connection]:
    async with scratch_database("migrations_test") as dsn:
        conn = await connect(dsn)
        yield conn
        await conn.close()


async def test_apply_on_empty_database_then_second_run_is_noop(empty_db, settings):
    files = [p.name for p in migrate.migration_files(settings.migrations_dir)]
    assert await migrate.apply(empty_db, settings.migrations_dir) == files
    assert await migrate.apply(empty_db, settings.migrations_dir) == []
    n = await empty_db.fetchval("SELECT count(*) FROM schema_migrations")
    assert n == len(files)
    await migrate.check_database(empty_db)


async def test_edited_migration_is_refused(empty_db, settings, tmp_path: Path):
    shutil.copytree(settings.migrations_dir, tmp_path, dirs_exist_ok=True)
    await migrate.apply(empty_db, tmp_path)
    first = sorted(tmp_path.iterdir())[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(migrate.MigrationError, match=r"changed after it was applied"):
        await migrate.apply(empty_db, tmp_path)


async def test_failure_stops_and_rolls_back_that_file(empty_db, tmp_path: Path):
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE b (x int); SELECT nope;")
    (tmp_path / "0003_never.sql").write_text("CREATE TABLE c (x int);")
    with pytest.raises(migrate.MigrationError, match=r"0002_bad\.sql"):
        await migrate.apply(empty_db, tmp_path)
    tables = {r[0] for r in await empty_db.fetch("SELECT tablename FROM pg_tables")}
    assert "a" in tables
    assert not tables & {"b", "c"}


async def test_locale_c_database_is_refused(scratch_database):
    async with scratch_database("c_locale", locale="C") as dsn:
        conn = await connect(dsn)
        try:
            with pytest.raises(migrate.MigrationError, match="locale is C"):
                await migrate.check_database(conn)
        finally:
            await conn.close()


async def test_migrations_take_turns_under_the_advisory_lock(seeded: str, settings):
    """Two real connections: while one holds the migration lock, another apply() waits, then
    finds nothing to do (concurrent `registry migrate` on one database)."""
    holder, other = await connect(seeded), await connect(seeded)
    try:
        async with migrate.locked(holder):
            waiting = asyncio.create_task(migrate.apply(other, settings.migrations_dir))
            await asyncio.sleep(0.5)
            assert not waiting.done()
            blocked = await holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND pid = $1",
                other.get_server_pid(),
            )
            assert blocked == 1
        assert await asyncio.wait_for(waiting, 10) == []
    finally:
        await holder.close()
        await other.close()
